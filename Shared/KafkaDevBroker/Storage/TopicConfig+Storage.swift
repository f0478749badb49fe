/// The topic keys segments and the compactor act on, read from the keys given at creation with Kafka's defaults.
extension TopicConfig {
    /// `segment.bytes`: the active segment rolls before a batch would take it past this size (Kafka: 1 GiB).
    var segmentBytes: Int { given["segment.bytes"].flatMap { Int($0) }.map { max($0, 1) } ?? 1_073_741_824 }
    /// `segment.ms`: the active segment rolls once it is this old (Kafka: 7 days).
    var segmentMilliseconds: Int64 { given["segment.ms"].flatMap { Int64($0) } ?? 604_800_000 }
    /// `delete.retention.ms`: how long a tombstone, or a marker whose transaction's records are gone, stays after
    /// the compactor first kept it (Kafka: 1 day).
    var deleteRetentionMilliseconds: Int64 { given["delete.retention.ms"].flatMap { Int64($0) } ?? 86_400_000 }
    /// `min.cleanable.dirty.ratio`: the share of uncleaned bytes that makes a partition worth cleaning (Kafka: 0.5).
    var minCleanableDirtyRatio: Double { given["min.cleanable.dirty.ratio"].flatMap { Double($0) } ?? 0.5 }
    /// `min.compaction.lag.ms`: a batch younger than this is not cleaned yet (Kafka: 0).
    var minCompactionLagMilliseconds: Int64 { given["min.compaction.lag.ms"].flatMap { Int64($0) } ?? 0 }

    var compacts: Bool { cleanupPolicy != .delete }
}
