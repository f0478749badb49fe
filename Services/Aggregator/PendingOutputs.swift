import KakusaEvents
import KakusaKafka

/// Outputs found on the output topics after a crash that came from input the state has not applied: records of a
/// transaction that did not finish, which the devbroker shows to every reader anyway (on Kafka, `read_committed`
/// hides them and this stays empty). The loop derives the same records again; each one found here is not written a
/// second time.
///
/// Until the input an entry came from is applied, the output ends the loop notes before each transaction stay at or
/// before the entry, so that a second crash, or another instance taking the input partition over, finds it again.
///
/// The identity of an output is its `ce_id` (derived records; repartitioned ones carry their input's), for a dead
/// letter its original position, else its key and value.
struct PendingOutputs: Sendable {
    struct Identity: Hashable, Sendable {
        var topic: String
        var id: [UInt8]
    }

    struct Entry: Sendable {
        var output: TopicPartition
        var offset: Int64
        var input: TopicPartition
        var inputOffset: Int64
    }

    private var entries: [Identity: [Entry]] = [:]

    init() {}

    /// The outputs of `tail` whose input `state` has not applied.
    init(tail: [KafkaMessage], state: StateStore) {
        for message in tail {
            guard let header = message.headers.value(forKey: BatchDeriver.inputHeaderKey),
                let (input, inputOffset) = BatchDeriver.inputPosition(header),
                !state.isApplied(input, offset: inputOffset)
            else { continue }
            let identity = Self.identity(
                topic: message.topic, key: message.key, value: message.value, headers: message.headers)
            entries[identity, default: []].append(
                Entry(output: message.topicPartition, offset: message.offset, input: input, inputOffset: inputOffset))
        }
    }

    var count: Int { entries.values.reduce(0) { $0 + $1.count } }
    var isEmpty: Bool { entries.isEmpty }

    /// The outputs not already written; each one found is taken off.
    mutating func unwritten(_ outputs: [ProducerMessage]) -> [ProducerMessage] {
        guard !entries.isEmpty else { return outputs }
        return outputs.filter { output in
            let identity = Self.identity(
                topic: output.topic, key: output.key, value: output.value, headers: output.headers)
            guard var found = entries[identity], !found.isEmpty else { return true }
            found.removeFirst()
            entries[identity] = found.isEmpty ? nil : found
            return false
        }
    }

    /// The same for records laid out in a batch: the batch itself when nothing is pending (the usual case).
    mutating func unwritten(_ outputs: ProducerBatch) -> ProducerBatch {
        guard !entries.isEmpty else { return outputs }
        var kept = ProducerBatch()
        for message in unwritten(outputs.messages) { kept.append(message) }
        return kept
    }

    /// Drops the entries whose input is now applied (their batch committed, with or without writing them again).
    mutating func resolve(applied: [TopicPartition: Int64]) {
        guard !entries.isEmpty else { return }
        for (identity, list) in entries {
            let left = list.filter { $0.inputOffset > applied[$0.input] ?? -1 }
            entries[identity] = left.isEmpty ? nil : left
        }
    }

    /// Per output partition, the earliest pending output: the noted ends must not pass it.
    var earliest: [TopicPartition: Int64] {
        var earliest: [TopicPartition: Int64] = [:]
        for list in entries.values {
            for entry in list { earliest[entry.output] = min(entry.offset, earliest[entry.output] ?? .max) }
        }
        return earliest
    }

    static func identity(topic: String, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader]) -> Identity {
        let original = [
            DeadLetterHeaders.originalTopicKey, DeadLetterHeaders.originalPartitionKey,
            DeadLetterHeaders.originalOffsetKey,
        ].compactMap { headers.value(forKey: $0) }
        if original.count == 3 {
            return Identity(topic: topic, id: Array(("dlt:" + original.joined(separator: ":")).utf8))
        }
        if let id = headers.value(forKey: "ce_id") {
            return Identity(topic: topic, id: Array(("ce:" + id).utf8))
        }
        return Identity(topic: topic, id: Array("kv:".utf8) + (key ?? []) + [0] + (value ?? []))
    }
}
