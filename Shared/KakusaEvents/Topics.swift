import Foundation

/// The topic names of the public contract under one prefix (`kakusa.` unless `KAKUSA_TOPIC_PREFIX` says otherwise).
public struct Topics: Sendable, Equatable {
    /// The prefix every Kakusa topic name starts with.
    public static let defaultPrefix = "kakusa."
    /// Partitions each topic is created with unless configured.
    public static let defaultPartitions = 3

    public var prefix: String
    public var partitions: Int

    public init(prefix: String = Topics.defaultPrefix, partitions: Int = Topics.defaultPartitions) {
        self.prefix = prefix
        self.partitions = partitions
    }

    /// From `KAKUSA_TOPIC_PREFIX` and `KAKUSA_TOPIC_PARTITIONS`, falling back to the defaults when unset or empty.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Topics
    {
        let prefix = environment["KAKUSA_TOPIC_PREFIX"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultPrefix
        let partitions = environment["KAKUSA_TOPIC_PARTITIONS"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
        return Topics(prefix: prefix, partitions: partitions ?? defaultPartitions)
    }

    public var fundingRounds: String { name(.fundingRounds) }
    public var paperCounts: String { name(.paperCounts) }
    public var stockMoves: String { name(.stockMoves) }
    public var deadLetters: String { name(.deadLetters) }
    public var valuationChanges: String { name(.valuationChanges) }
    public var countryPaperTotals: String { name(.countryPaperTotals) }
    public var marketDays: String { name(.marketDays) }
    public var alerts: String { name(.alerts) }

    /// The full name of a contract topic.
    public func name(_ kind: TopicKind) -> String { prefix + kind.rawValue }

    /// A service's internal topic (a changelog, a repartition), kept apart under `<prefix>internal.`.
    public func `internal`(_ name: String) -> String { "\(prefix)internal.\(name)" }

    /// Every contract topic with how to create it: inputs, dead letters and alerts are streams; derived views
    /// are compacted.
    public var all: [TopicSpec] {
        TopicKind.allCases.map { TopicSpec(name: name($0), partitions: partitions, compacted: $0.isCompacted) }
    }

    /// The kind of a full topic name under this prefix, or nil for a foreign or internal topic.
    public func kind(ofTopic fullName: String) -> TopicKind? {
        guard fullName.hasPrefix(prefix) else { return nil }
        return TopicKind(rawValue: String(fullName.dropFirst(prefix.count)))
    }

    /// The kind named by an unprefixed name such as `valuation-changes` (as in an alert rule's `topic:`).
    public static func unprefixed(_ name: String) -> TopicKind? {
        TopicKind(rawValue: name)
    }
}

extension Topics {
    /// The aggregator's state changelog (compacted; keys `<store>:<key>`).
    public var aggregatorState: String { self.internal("aggregator-state") }
    /// Paper counts re-keyed by year by the aggregator, so that one instance sees every count of a year.
    public var paperCountsByYear: String { self.internal("paper-counts-by-year") }
    /// Stock moves re-keyed by trading day by the aggregator, so that one instance sees every move of a date.
    public var stockMovesByDate: String { self.internal("stock-moves-by-date") }
    /// The alerter's state changelog (cooldowns, de-duplication ids, applied input offsets; compacted).
    public var alerterState: String { self.internal("alerter-state") }

    /// The services' internal topics with how to create them: changelogs compacted, repartitions streams.
    public var internalAll: [TopicSpec] {
        [
            TopicSpec(name: aggregatorState, partitions: partitions, compacted: true),
            TopicSpec(name: paperCountsByYear, partitions: partitions, compacted: false),
            TopicSpec(name: stockMovesByDate, partitions: partitions, compacted: false),
            TopicSpec(name: alerterState, partitions: partitions, compacted: true),
        ]
    }
}
