import KakusaEvents
import KakusaKafka

/// What the alerter remembers across restarts, mirrored in the compacted changelog `<prefix>internal.alerter-state`:
///
/// - key `<rule>:<subject>` → `SubjectState` (last fired record time, recent alert ids): cooldown and de-dup;
/// - key `@offset:<topic>:<partition>` → `AppliedOffset`: the last input offset whose effects are in the
///   changelog, so input at or below it is skipped after a restart (the mock broker does not keep transactional
///   offset commits; on real Kafka this is a belt to the transaction's braces).
struct AlerterState: Sendable, Equatable {
    struct SubjectState: Codable, Sendable, Equatable {
        /// Record time (seconds since 1970) of the last alert; cooldowns count from here.
        var lastFiredTime: Double
        var lastFiredAt: String
        /// The newest alert ids, oldest first, at most `AlerterState.recentIDLimit`.
        var recentAlertIDs: [String]

        enum CodingKeys: String, CodingKey {
            case lastFiredTime = "last_fired_time"
            case lastFiredAt = "last_fired_at"
            case recentAlertIDs = "recent_alert_ids"
        }
    }

    struct AppliedOffset: Codable, Sendable, Equatable {
        var offset: Int64
    }

    static let recentIDLimit = 32
    static let offsetKeyPrefix = "@offset:"

    var subjects: [String: SubjectState] = [:]
    var appliedOffsets: [TopicPartition: Int64] = [:]

    static func subjectKey(rule: String, subject: String) -> String { "\(rule):\(subject)" }

    static func offsetKey(_ partition: TopicPartition) -> String {
        "\(offsetKeyPrefix)\(partition.topic):\(partition.partition)"
    }

    /// Whether the message at `offset` was already applied before (a re-delivery after a restart).
    func isApplied(_ partition: TopicPartition, offset: Int64) -> Bool {
        guard let applied = appliedOffsets[partition] else { return false }
        return offset <= applied
    }

    /// Applies one changelog record (a restore); unknown or unreadable entries are ignored.
    mutating func apply(changelogKey key: String, value: [UInt8]?) {
        if key.hasPrefix(Self.offsetKeyPrefix) {
            let rest = key.dropFirst(Self.offsetKeyPrefix.count)
            guard let colon = rest.lastIndex(of: ":"), let partition = Int32(rest[rest.index(after: colon)...])
            else { return }
            let tp = TopicPartition(topic: String(rest[..<colon]), partition: partition)
            if let value, let applied = try? KakusaJSON.decode(AppliedOffset.self, from: value) {
                appliedOffsets[tp] = applied.offset
            } else {
                appliedOffsets[tp] = nil
            }
        } else if let value {
            if let state = try? KakusaJSON.decode(SubjectState.self, from: value) { subjects[key] = state }
        } else {
            subjects[key] = nil
        }
    }

    /// The changelog records that bring a restored copy to this state for the given keys and partitions.
    func changelogMessages(
        topic: String, subjectKeys: some Sequence<String>, partitions: some Sequence<TopicPartition>
    ) throws -> [ProducerMessage] {
        var messages: [ProducerMessage] = []
        for key in subjectKeys {
            let value = try subjects[key].map { try KakusaJSON.encode($0) }
            messages.append(ProducerMessage(topic: topic, key: Array(key.utf8), value: value))
        }
        for partition in partitions {
            guard let offset = appliedOffsets[partition] else { continue }
            messages.append(
                ProducerMessage(
                    topic: topic, key: Array(Self.offsetKey(partition).utf8),
                    value: try KakusaJSON.encode(AppliedOffset(offset: offset))))
        }
        return messages
    }
}
