import Logging
import NIOConcurrencyHelpers
import NIOCore

/// DescribeGroups v0-2: each group's state, protocol and members (metadata and assignments while Stable).
enum DescribeGroupsApi {
    static func handle(_ c: RequestContext, _ r: inout KafkaReader) throws -> ByteBuffer? {
        let ids = try r.array { try $0.string() }
        var out = ByteBuffer()
        if c.version >= 1 { out.writeInteger(RequestContext.noThrottle) }
        out.writeKafkaArray(ids) { out, id in
            if let refused = GroupApis.refusal(c, group: id) {
                out.writeInteger(refused)
                out.writeKafkaString(id)
                for _ in 0..<3 { out.writeKafkaString("") }
                out.writeArrayLength(0)
                return
            }
            let d = c.cluster.groups.describe(id)
            out.writeInteger(Int16(0))
            out.writeKafkaString(d.groupID)
            out.writeKafkaString(d.state)
            out.writeKafkaString(d.protocolType)
            out.writeKafkaString(d.protocolName)
            out.writeKafkaArray(d.members) { out, m in
                out.writeKafkaString(m.memberID)
                out.writeKafkaString(m.clientID)
                out.writeKafkaString(m.clientHost)
                out.writeKafkaBytes(m.metadata)
                out.writeKafkaBytes(m.assignment)
            }
        }
        return out
    }
}
