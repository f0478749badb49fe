import Logging
import NIOConcurrencyHelpers
import NIOCore

/// OffsetCommit v0-3: v1+ carry the member's generation and id, which must be the group's current ones; a commit
/// with generation -1 and no member is for a group without members (a "simple" group).
enum OffsetCommitApi {
    static func handle(_ c: RequestContext, _ r: inout KafkaReader) throws -> ByteBuffer? {
        let groupID = try r.string()
        let generation = c.version >= 1 ? try r.int32() : -1
        let memberID = c.version >= 1 ? try r.string() : ""
        if c.version >= 2 { _ = try r.int64() }  // retention time: offsets are kept until deleted
        let version = c.version
        let topics = try GroupApis.readTopics(&r) { r -> (Int32, Int64, String?) in
            let partition = try r.int32()
            let offset = try r.int64()
            if version == 1 { _ = try r.int64() }  // commit timestamp: the broker's time is used, as Kafka 3.x
            return (partition, offset, try r.nullableString())
        } ?? []
        var errors: [Int16]
        if let refused = GroupApis.refusal(c, group: groupID) {
            errors = Array(repeating: refused, count: topics.reduce(0) { $0 + $1.1.count })
        } else {
            let entries = topics.flatMap { topic, parts in
                parts.map { GroupCoordinator.OffsetEntry(topic: topic, partition: $0.0, offset: $0.1, metadata: $0.2) }
            }
            errors = c.cluster.groups.commitOffsets(
                groupID: groupID, generationID: generation, memberID: memberID, groupInstanceID: nil, entries: entries
            ).map(\.rawValue)
        }
        var out = ByteBuffer()
        if c.version >= 3 { out.writeInteger(RequestContext.noThrottle) }
        var i = 0
        let answered = topics.map { topic, parts in
            (topic, parts.map { p -> (Int32, Int16) in
                defer { i += 1 }
                return (p.0, errors[i])
            })
        }
        GroupApis.writePartitionErrors(&out, answered, flexible: false)
        return out
    }
}
