import Logging
import NIOConcurrencyHelpers
import NIOCore

/// ListGroups v0-2: the groups this broker coordinates, with their protocol type ("" for a simple group).
enum ListGroupsApi {
    static func handle(_ c: RequestContext, _ r: inout KafkaReader) throws -> ByteBuffer? {
        var out = ByteBuffer()
        if c.version >= 1 { out.writeInteger(RequestContext.noThrottle) }
        let cluster = c.cluster
        let me = c.brokerID
        let listed = c.injectedError == nil ? cluster.groups.list { cluster.coordinator(for: $0)?.id == me } : []
        out.writeInteger(c.error(.none))
        out.writeKafkaArray(listed) { out, g in
            out.writeKafkaString(g.groupID)
            out.writeKafkaString(g.protocolType)
        }
        return out
    }
}
