import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Heartbeat v0-3: renews a member's session; REBALANCE_IN_PROGRESS tells it to rejoin.
enum HeartbeatApi {
    static func handle(_ c: RequestContext, _ r: inout KafkaReader) throws -> ByteBuffer? {
        let groupID = try r.string()
        let generation = try r.int32()
        let memberID = try r.string()
        let instance = c.version >= 3 ? try r.nullableString() : nil
        try r.skipTaggedFields()
        let error =
            GroupApis.refusal(c, group: groupID)
            ?? c.cluster.groups.heartbeat(
                groupID: groupID, generationID: generation, memberID: memberID, groupInstanceID: instance,
                on: c.eventLoop
            ).rawValue
        var out = ByteBuffer()
        if c.version >= 1 { out.writeInteger(RequestContext.noThrottle) }
        out.writeInteger(error)
        out.writeEmptyTaggedFields(flexible: c.flexible)
        return out
    }
}
