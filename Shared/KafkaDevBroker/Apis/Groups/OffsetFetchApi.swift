import Logging
import NIOConcurrencyHelpers
import NIOCore

/// OffsetFetch v0-7 (v6+ flexible): committed offsets, -1 where none; null topics (v2+) asks for every committed
/// one; require_stable (v7) answers UNSTABLE_OFFSET_COMMIT for partitions with a transaction's pending offset.
enum OffsetFetchApi {
    static func handle(_ c: RequestContext, _ r: inout KafkaReader) throws -> ByteBuffer? {
        let f = c.flexible
        let groupID = try r.string()
        let topics = try GroupApis.readTopics(&r) { try $0.int32() }
        let requireStable = c.version >= 7 ? try r.bool() : false
        try r.skipTaggedFields()
        var out = ByteBuffer()
        if c.version >= 3 { out.writeInteger(RequestContext.noThrottle) }
        var answer: [(String, [GroupCoordinator.FetchedOffset])]
        var topLevel: Int16 = 0
        if let refused = GroupApis.refusal(c, group: groupID) {
            // Before v2 the error goes to every partition asked for; from v2 on it is the top-level error alone.
            answer = c.version < 2 ? (topics ?? []).map { t, parts in
                (t, parts.map { GroupCoordinator.FetchedOffset(partition: $0, error: ErrorCode(rawValue: refused) ?? .unknownServerError) })
            } : []
            topLevel = refused
        } else {
            answer = c.cluster.groups.fetchOffsets(groupID: groupID, topics: topics, requireStable: requireStable)
        }
        let refusedRaw = topLevel
        out.writeKafkaArray(answer, flexible: f) { out, t in
            out.writeKafkaString(t.0, flexible: f)
            out.writeKafkaArray(t.1, flexible: f) { out, p in
                out.writeInteger(p.partition)
                out.writeInteger(p.offset)
                if c.version >= 5 { out.writeInteger(p.leaderEpoch) }
                out.writeKafkaString(p.metadata, flexible: f)
                out.writeInteger(c.version < 2 && refusedRaw != 0 ? refusedRaw : p.error.rawValue)
                out.writeEmptyTaggedFields(flexible: f)
            }
            out.writeEmptyTaggedFields(flexible: f)
        }
        if c.version >= 2 { out.writeInteger(topLevel) }
        out.writeEmptyTaggedFields(flexible: f)
        return out
    }
}
