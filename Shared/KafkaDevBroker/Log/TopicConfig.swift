import Foundation

/// A topic's configuration: the keys this broker acts on, and every key given at creation, as DescribeConfigs
/// reports them.
public struct TopicConfig: Sendable {
    public enum CleanupPolicy: String, Sendable { case delete, compact, compactDelete = "compact,delete" }

    public var cleanupPolicy: CleanupPolicy = .delete
    /// `retention.bytes` per partition; -1 keeps everything (Kafka's default).
    public var retentionBytes: Int64 = -1
    /// `max.message.bytes`: the largest batch a produce may append (Kafka's default, 1 MiB + overhead).
    public var maxMessageBytes: Int = 1_048_588
    /// Every key set at creation, as given.
    public var given: [String: String] = [:]

    public init() {}

    public struct Invalid: Error, Sendable {
        public let key: String
        public let reason: String
    }

    /// Builds the configuration from CreateTopics' entries, refusing unknown values of the keys it acts on.
    public init(_ entries: [String: String]) throws(Invalid) {
        for (key, value) in entries {
            switch key {
            case "cleanup.policy":
                let normalised = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.sorted()
                    .joined(separator: ",")
                guard let policy = CleanupPolicy(rawValue: normalised) else {
                    throw Invalid(key: key, reason: "Invalid value \(value) for configuration cleanup.policy")
                }
                cleanupPolicy = policy
            case "retention.bytes":
                guard let n = Int64(value), n >= -1 else {
                    throw Invalid(key: key, reason: "Invalid value \(value) for configuration retention.bytes")
                }
                retentionBytes = n
            case "max.message.bytes":
                guard let n = Int(value), n >= 0 else {
                    throw Invalid(key: key, reason: "Invalid value \(value) for configuration max.message.bytes")
                }
                maxMessageBytes = n
            default:
                break
            }
            given[key] = value
        }
    }

    /// Every key DescribeConfigs reports, with its value and whether it is a default.
    var described: [(name: String, value: String, isDefault: Bool)] {
        var out: [(String, String, Bool)] = [
            ("cleanup.policy", cleanupPolicy.rawValue, given["cleanup.policy"] == nil),
            ("retention.bytes", String(retentionBytes), given["retention.bytes"] == nil),
            ("max.message.bytes", String(maxMessageBytes), given["max.message.bytes"] == nil),
        ]
        for (k, v) in given.sorted(by: { $0.key < $1.key }) where !out.contains(where: { $0.0 == k }) {
            out.append((k, v, false))
        }
        return out
    }
}
