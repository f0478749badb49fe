import Logging
import NIOConcurrencyHelpers
import NIOCore

/// LeaveGroup v0-1: the member is removed at once and the group rebalances without it.
enum LeaveGroupApi {
    static func handle(_ c: RequestContext, _ r: inout KafkaReader) throws -> ByteBuffer? {
        let groupID = try r.string()
        let memberID = try r.string()
        let error =
            GroupApis.refusal(c, group: groupID)
            ?? c.cluster.groups.leave(groupID: groupID, memberID: memberID, on: c.eventLoop).rawValue
        var out = ByteBuffer()
        if c.version >= 1 { out.writeInteger(RequestContext.noThrottle) }
        out.writeInteger(error)
        return out
    }
}
