/// Committed offsets of every group, and the transactional ones still pending under their producer id
/// (Kafka's OffsetMetadataManager). Each write takes the next sequence number, which stands for the offset of its
/// record in __consumer_offsets: when a transaction commits, its offset replaces the committed one only if it was
/// written later, so a plain OffsetCommit sent after the TxnOffsetCommit wins. Guarded by the coordinator's lock.
struct GroupOffsetStore {
    struct Key: Hashable, Sendable {
        var topic: String
        var partition: Int32
    }

    struct Committed: Sendable {
        var offset: Int64
        var leaderEpoch: Int32
        var metadata: String
        var commitTimestamp: Int64
        var sequence: UInt64
    }

    private(set) var committed: [String: [Key: Committed]] = [:]
    /// Producer id to group to its pending offsets.
    private(set) var pending: [Int64: [String: [Key: Committed]]] = [:]
    /// Group to the producers with pending offsets in it.
    private(set) var openTransactions: [String: Set<Int64>] = [:]
    private var nextSequence: UInt64 = 0

    mutating func sequence() -> UInt64 {
        nextSequence += 1
        return nextSequence
    }

    mutating func commit(group: String, _ key: Key, _ value: Committed) {
        committed[group, default: [:]][key] = value
    }

    mutating func stage(producerID: Int64, group: String, _ key: Key, _ value: Committed) {
        pending[producerID, default: [:]][group, default: [:]][key] = value
        openTransactions[group, default: []].insert(producerID)
    }

    /// Whether a transaction holds a pending offset for this partition of the group.
    func hasPending(group: String, _ key: Key) -> Bool {
        guard let producers = openTransactions[group] else { return false }
        return producers.contains { pending[$0]?[group]?[key] != nil }
    }

    /// Ends a producer's transaction: its offsets become committed (where they are the latest writes) or are
    /// dropped. Returns the groups it touched.
    @discardableResult
    mutating func complete(producerID: Int64, commit: Bool) -> [String] {
        guard let byGroup = pending.removeValue(forKey: producerID) else { return [] }
        for group in byGroup.keys {
            openTransactions[group]?.remove(producerID)
            if openTransactions[group]?.isEmpty == true { openTransactions[group] = nil }
        }
        if commit {
            for (group, offsets) in byGroup {
                for (key, value) in offsets {
                    if let existing = committed[group]?[key], existing.sequence > value.sequence { continue }
                    committed[group, default: [:]][key] = value
                }
            }
        }
        return Array(byGroup.keys)
    }

    var snapshot: [GroupOffsetSnapshot] {
        committed.flatMap { group, offsets in
            offsets.map { key, v in
                GroupOffsetSnapshot(
                    group: group, topic: key.topic, partition: key.partition, offset: v.offset,
                    leaderEpoch: v.leaderEpoch, metadata: v.metadata, commitTimestamp: v.commitTimestamp)
            }
        }.sorted { ($0.group, $0.topic, $0.partition) < ($1.group, $1.topic, $1.partition) }
    }

    mutating func restore(_ records: [GroupOffsetSnapshot]) {
        committed.removeAll()
        for r in records {
            commit(
                group: r.group, Key(topic: r.topic, partition: r.partition),
                Committed(
                    offset: r.offset, leaderEpoch: r.leaderEpoch, metadata: r.metadata,
                    commitTimestamp: r.commitTimestamp, sequence: sequence()))
        }
    }
}
