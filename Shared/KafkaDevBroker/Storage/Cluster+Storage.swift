import Logging
import NIOConcurrencyHelpers

/// The cluster's side of storage: each partition's segments, compaction passes and coordinator checkpoints.
extension Cluster {
    /// The storage of a new partition: files in the data directory, or segments tracked in memory without one.
    func makeStorage(topic: String, partition: Int) -> PartitionStorage {
        dataDirectory?.makeStorage(topic: topic, partition: partition)
            ?? PartitionStorage(directory: nil, logger: logger)
    }

    /// Runs one compaction pass over the compacted topics now, as the background cleaner does (for tests and
    /// tools); `force` cleans every partition whatever its dirty ratio. Returns what it removed.
    @discardableResult
    public func compactNow(force: Bool = false) -> CompactionSummary {
        let pass = Compactor.run(self, force: force)
        if pass.partitionsCleaned > 0 { notifyAll() }
        return CompactionSummary(
            partitionsCleaned: pass.partitionsCleaned, recordsRemoved: pass.recordsRemoved, bytesFreed: pass.bytesFreed)
    }

    /// Saves the coordinators' state to the data directory if it changed (no-op without one).
    func checkpointCoordinators() {
        dataDirectory?.checkpointCoordinators(self)
    }

    /// The bytes stored across every partition, as the memory budget counts them.
    public var storedBatchBytes: Int { lock.withLock { storedBytes } }
}

/// What a compaction pass removed.
public struct CompactionSummary: Sendable, Equatable {
    public var partitionsCleaned: Int
    public var recordsRemoved: Int
    public var bytesFreed: Int
}

extension ApiKey {
    /// Whether a request of this API may change what the coordinators must keep (committed offsets, producer ids,
    /// transactions), so the router checkpoints them before answering.
    var changesCoordinatorState: Bool {
        switch self {
        case .offsetCommit, .txnOffsetCommit, .initProducerId, .addPartitionsToTxn, .addOffsetsToTxn, .endTxn: true
        default:
            false
        }
    }
}
