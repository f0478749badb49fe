import Logging
import NIOConcurrencyHelpers
import NIOCore

/// TxnOffsetCommit v0-3: offsets staged under the producer id, visible only once its transaction commits. v3
/// (KIP-447) carries the member's generation and id, checked as OffsetCommit's; v0-2 carry none.
enum TxnOffsetCommitApi {
    static func handle(_ c: RequestContext, _ r: inout KafkaReader) throws -> ByteBuffer? {
        _ = try r.string()  // transactional id
        let groupID = try r.string()
        let producerID = try r.int64()
        let producerEpoch = try r.int16()
        let generation = c.version >= 3 ? try r.int32() : -1
        let memberID = c.version >= 3 ? try r.string() : ""
        let instance = c.version >= 3 ? try r.nullableString() : nil
        let version = c.version
        let topics = try GroupApis.readTopics(&r) { r -> GroupCoordinator.OffsetEntry in
            let partition = try r.int32()
            let offset = try r.int64()
            let epoch = version >= 2 ? try r.int32() : -1
            let metadata = try r.nullableString()
            try r.skipTaggedFields()
            return .init(topic: "", partition: partition, offset: offset, leaderEpoch: epoch, metadata: metadata)
        } ?? []
        try r.skipTaggedFields()
        let count = topics.reduce(0) { $0 + $1.1.count }
        var errors: [Int16]
        if let refused = GroupApis.refusal(c, group: groupID) {
            errors = Array(repeating: refused, count: count)
        } else {
            let entries = topics.flatMap { topic, parts in
                parts.map { var e = $0; e.topic = topic; return e }
            }
            errors = c.cluster.groups.commitTransactionalOffsets(
                groupID: groupID, producerID: producerID, producerEpoch: producerEpoch, generationID: generation,
                memberID: memberID, groupInstanceID: instance, entries: entries
            ).map(\.rawValue)
        }
        var out = ByteBuffer()
        out.writeInteger(RequestContext.noThrottle)
        var i = 0
        let answered = topics.map { topic, parts in
            (topic, parts.map { p -> (Int32, Int16) in
                defer { i += 1 }
                return (p.partition, errors[i])
            })
        }
        GroupApis.writePartitionErrors(&out, answered, flexible: c.flexible)
        out.writeEmptyTaggedFields(flexible: c.flexible)
        return out
    }
}
