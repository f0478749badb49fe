import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Producer ids, transactional ids and their transactions: KIP-98's coordinator, with the rules of Kafka's
/// TransactionCoordinator for transactions v1 (the epoch changes only on InitProducerId and on a fence).
///
/// Markers are written while the coordinator's lock is held, so a transaction goes from Ongoing to Complete in one
/// step: no request sees it half-way (Kafka answers CONCURRENT_TRANSACTIONS in that window; here it has no width).
/// Lock order: this lock, then the group coordinator's, then the cluster's; never call in here under either.
public final class TransactionCoordinator: @unchecked Sendable {
    let logger: Logger
    weak var cluster: Cluster?

    private let lock = NIOLock()
    private var entries: [String: TransactionMetadata] = [:]
    /// The transactional id of each entry's current producer id.
    private var transactionalIDs: [Int64: String] = [:]
    private var nextProducerID: Int64 = 0
    /// The broker-side abort of each open transaction, when its timeout passes.
    private var timers: [String: Scheduled<Void>] = [:]

    /// `transaction.max.timeout.ms`: a longer transaction timeout is refused (Kafka's default, 15 minutes).
    public let maxTimeoutMilliseconds: Int32 = 900_000
    /// The epoch markers carry; one coordinator generation for the life of the cluster.
    static let coordinatorEpoch: Int32 = 0

    init(logger: Logger) { self.logger = logger }

    struct ProducerIDAndEpoch: Equatable, Sendable {
        var error: ErrorCode = .none
        var producerID: Int64 = -1
        var producerEpoch: Int16 = -1
    }

    // MARK: InitProducerId

    /// A fresh producer id with epoch 0, for an idempotent producer (InitProducerId without a transactional id).
    func newProducerID() -> Int64 {
        lock.withLock { allocateLocked() }
    }

    /// InitProducerId with a transactional id, already checked as non-empty, owned here and with a valid timeout:
    /// the same producer id with the next epoch (fencing earlier instances), a new one on first use or when the
    /// epochs are spent. An open transaction of an earlier instance is aborted first, with a bumped epoch.
    ///
    /// With `expected` (KIP-360, a producer recovering from an error by asking for a bump), the id and epoch must be
    /// the current ones, or the epoch the last fence replaced; otherwise the caller is a zombie: PRODUCER_FENCED.
    func initProducerID(
        transactionalID id: String, timeoutMilliseconds: Int32, expected: (producerID: Int64, epoch: Int16)? = nil
    ) -> ProducerIDAndEpoch {
        let (result, wroteMarkers) = lock.withLock { () -> (ProducerIDAndEpoch, Bool) in
            let now = Clock.milliseconds()
            var txn: TransactionMetadata
            if let existing = entries[id] {
                if let expected,
                    expected.producerID != existing.producerID
                        || (expected.epoch != existing.producerEpoch && expected.epoch != existing.producerEpoch - 1)
                {
                    return (ProducerIDAndEpoch(error: .producerFenced), false)
                }
                txn = existing
            } else {
                txn = TransactionMetadata(
                    transactionalID: id, producerID: allocateLocked(), producerEpoch: -1,
                    timeoutMilliseconds: timeoutMilliseconds, state: .empty, lastUpdateTimestamp: now)
            }
            var wrote = false
            switch txn.state {
            case .prepareCommit, .prepareAbort:
                return (ProducerIDAndEpoch(error: .concurrentTransactions), false)
            case .ongoing:
                // Kafka fences the previous instance (epoch + 1), aborts its transaction and lets the client retry,
                // which bumps the epoch again; both steps happen here at once.
                fenceLocked(&txn, reason: "a new instance called InitProducerId")
                wrote = true
            case .empty, .completeCommit, .completeAbort:
                break
            }
            if TransactionMetadata.isEpochExhausted(txn.producerEpoch) {
                let old = txn.producerID
                transactionalIDs[old] = nil
                txn.previousProducerID = old
                txn.producerID = allocateLocked()
                txn.producerEpoch = 0
                logger.info(
                    "producer epochs exhausted: new producer id",
                    metadata: ["transactionalID": "\(id)", "previous": "\(old)", "producerID": "\(txn.producerID)"])
            } else {
                txn.producerEpoch += 1
            }
            txn.timeoutMilliseconds = timeoutMilliseconds
            txn.state = .empty
            txn.partitions = []
            txn.groups = []
            txn.startTimestamp = -1
            txn.lastUpdateTimestamp = now
            entries[id] = txn
            transactionalIDs[txn.producerID] = id
            logger.debug(
                "initialized transactional id",
                metadata: ["transactionalID": "\(id)", "producerID": "\(txn.producerID)", "epoch": "\(txn.producerEpoch)"])
            return (ProducerIDAndEpoch(producerID: txn.producerID, producerEpoch: txn.producerEpoch), wrote)
        }
        if wroteMarkers { cluster?.notifyAll() }
        return result
    }

    // MARK: AddPartitionsToTxn, AddOffsetsToTxn

    /// Adds partitions (already known to exist) to the producer's transaction, opening one if none is; its timeout
    /// starts with the first partition or group. Answers PRODUCER_FENCED for a stale epoch (the API maps it).
    func addPartitions(
        transactionalID id: String, producerID: Int64, producerEpoch: Int16,
        _ partitions: Set<TransactionMetadata.Partition>, timersOn loop: any EventLoop
    ) -> ErrorCode {
        add(id, producerID, producerEpoch, timersOn: loop) { txn in
            if txn.state == .ongoing && partitions.isSubset(of: txn.partitions) { return false }
            txn.partitions.formUnion(partitions)
            return true
        }
    }

    /// Adds a consumer group to the producer's transaction (AddOffsetsToTxn): its offsets, sent by TxnOffsetCommit
    /// to the group coordinator, become durable or are dropped when the transaction ends.
    func addOffsets(
        transactionalID id: String, producerID: Int64, producerEpoch: Int16, group: String,
        timersOn loop: any EventLoop
    ) -> ErrorCode {
        add(id, producerID, producerEpoch, timersOn: loop) { txn in
            if txn.state == .ongoing && txn.groups.contains(group) { return false }
            txn.groups.insert(group)
            return true
        }
    }

    private func add(
        _ id: String, _ producerID: Int64, _ producerEpoch: Int16, timersOn loop: any EventLoop,
        _ change: (inout TransactionMetadata) -> Bool
    ) -> ErrorCode {
        lock.withLock {
            guard var txn = entries[id], txn.producerID == producerID else { return .invalidProducerIdMapping }
            guard txn.producerEpoch == producerEpoch else { return .producerFenced }
            switch txn.state {
            case .prepareCommit, .prepareAbort:
                return .concurrentTransactions
            case .empty, .ongoing, .completeCommit, .completeAbort:
                break
            }
            let now = Clock.milliseconds()
            let opens = txn.state != .ongoing
            guard change(&txn) else { return .none }
            if opens {
                txn.state = .ongoing
                txn.startTimestamp = now
            }
            txn.lastUpdateTimestamp = now
            entries[id] = txn
            if opens { scheduleTimeoutLocked(txn, on: loop) }
            return .none
        }
    }

    // MARK: EndTxn

    /// Commits or aborts the producer's transaction: a marker on each of its partitions (the last stable offset
    /// moves past it), then its groups' offsets made durable or dropped. A retry of a completed end is answered
    /// as success; an end with no transaction open, or the other result, is INVALID_TXN_STATE.
    func endTransaction(transactionalID id: String, producerID: Int64, producerEpoch: Int16, commit: Bool) -> ErrorCode {
        let (error, wroteMarkers) = lock.withLock { () -> (ErrorCode, Bool) in
            guard var txn = entries[id], txn.producerID == producerID else { return (.invalidProducerIdMapping, false) }
            guard txn.producerEpoch == producerEpoch else { return (.producerFenced, false) }
            switch (txn.state, commit) {
            case (.ongoing, _):
                completeLocked(&txn, commit: commit)
                entries[id] = txn
                logger.debug(
                    commit ? "transaction committed" : "transaction aborted",
                    metadata: ["transactionalID": "\(id)", "producerID": "\(producerID)", "epoch": "\(producerEpoch)"])
                return (.none, true)
            case (.completeCommit, true), (.completeAbort, false):
                return (.none, false)
            case (.prepareCommit, true), (.prepareAbort, false):
                return (.concurrentTransactions, false)
            case (.empty, _), (.completeCommit, false), (.completeAbort, true), (.prepareCommit, false),
                (.prepareAbort, true):
                logger.debug(
                    "EndTxn in the wrong state",
                    metadata: ["transactionalID": "\(id)", "state": "\(txn.state.rawValue)", "commit": "\(commit)"])
                return (.invalidTxnState, false)
            }
        }
        if wroteMarkers { cluster?.notifyAll() }
        return error
    }

    // MARK: Produce and TxnOffsetCommit checks

    /// Runs `append` for a transactional batch if its producer added the partition to its open transaction,
    /// holding the coordinator's state still so that no marker can land between the check and the append;
    /// otherwise answers the error Kafka gives. Non-transactional batches come here too and are appended as they are.
    func appendChecked(
        producerID: Int64, producerEpoch: Int16, transactional: Bool, topic: String, partition: Int32,
        _ append: () -> PartitionLog.AppendResult
    ) -> PartitionLog.AppendResult {
        guard transactional else { return append() }
        return lock.withLock {
            // Kafka 3.6+ asks the coordinator (KIP-890 verification) and maps its answer for the producer.
            guard let id = transactionalIDs[producerID], let txn = entries[id] else {
                return .refused(.invalidProducerIdMapping, "producer \(producerID) has no transactional id")
            }
            guard txn.producerEpoch == producerEpoch else {
                return .refused(
                    .invalidProducerEpoch,
                    "producer \(producerID) epoch \(producerEpoch) is not the current \(txn.producerEpoch)")
            }
            switch txn.state {
            case .prepareCommit, .prepareAbort:
                return .refused(.notEnoughReplicas, "the transaction of producer \(producerID) is completing")
            case .ongoing where txn.partitions.contains(TransactionMetadata.Partition(topic: topic, partition: partition)):
                return append()
            default:
                return .refused(
                    .invalidTxnState, "\(topic)-\(partition) was not added to the transaction of producer \(producerID)")
            }
        }
    }

    /// Whether a TxnOffsetCommit for `group` belongs to the producer's open transaction: NONE, or the error Kafka
    /// gives. For the group coordinator, which must call it without holding its own lock.
    func checkOffsetCommit(transactionalID id: String, producerID: Int64, producerEpoch: Int16, group: String)
        -> ErrorCode
    {
        lock.withLock {
            guard let txn = entries[id], txn.producerID == producerID else { return .invalidProducerIdMapping }
            guard txn.producerEpoch == producerEpoch else { return .invalidProducerEpoch }
            return txn.state == .ongoing && txn.groups.contains(group) ? .none : .invalidTxnState
        }
    }

    // MARK: Completion and timeouts

    /// Fences the current producer (epoch + 1) and aborts its open transaction with the new epoch, so its later
    /// requests and batches are refused as stale.
    private func fenceLocked(_ txn: inout TransactionMetadata, reason: String) {
        if txn.producerEpoch < Int16.max { txn.producerEpoch += 1 }
        logger.info(
            "fencing producer: aborting its transaction",
            metadata: [
                "transactionalID": "\(txn.transactionalID)", "producerID": "\(txn.producerID)",
                "epoch": "\(txn.producerEpoch)", "reason": "\(reason)",
            ])
        completeLocked(&txn, commit: false)
    }

    /// Writes the markers of `txn`'s result on its partitions, completes its groups' offsets and closes it.
    private func completeLocked(_ txn: inout TransactionMetadata, commit: Bool) {
        txn.state = commit ? .prepareCommit : .prepareAbort
        let now = Clock.milliseconds()
        if let cluster {
            for p in txn.partitions.sorted() {
                cluster.lock.withLock {
                    guard let topic = cluster.topics[p.topic], p.partition >= 0,
                        Int(p.partition) < topic.partitions.count
                    else { return }  // deleted since: nothing left to mark
                    let log = topic.partitions[Int(p.partition)]
                    let before = log.sizeInBytes
                    log.writeMarker(
                        producerID: txn.producerID, producerEpoch: txn.producerEpoch, commit: commit,
                        coordinatorEpoch: Self.coordinatorEpoch, now: now)
                    cluster.storedBytes += log.sizeInBytes - before
                }
            }
            if !txn.groups.isEmpty { cluster.groups.completeTransaction(producerID: txn.producerID, commit: commit) }
        }
        txn.state = commit ? .completeCommit : .completeAbort
        txn.partitions = []
        txn.groups = []
        txn.lastUpdateTimestamp = now
        timers.removeValue(forKey: txn.transactionalID)?.cancel()
    }

    private func scheduleTimeoutLocked(_ txn: TransactionMetadata, on loop: any EventLoop) {
        timers.removeValue(forKey: txn.transactionalID)?.cancel()
        guard let deadline = txn.deadline else { return }
        let id = txn.transactionalID
        let producerID = txn.producerID
        let epoch = txn.producerEpoch
        // Kafka aborts once start + timeout < now: a millisecond past the deadline.
        let delay = max(deadline - Clock.milliseconds(), 0) + 1
        timers[id] = loop.scheduleTask(in: .milliseconds(delay)) { [weak self] in
            self?.expire(id, producerID: producerID, producerEpoch: epoch, timersOn: loop)
        }
    }

    /// The timer of an open transaction: aborts it with a fence if it is still the same transaction and overdue.
    private func expire(_ id: String, producerID: Int64, producerEpoch: Int16, timersOn loop: any EventLoop) {
        let aborted = lock.withLock { () -> Bool in
            guard var txn = entries[id], txn.producerID == producerID, txn.producerEpoch == producerEpoch,
                let deadline = txn.deadline
            else { return false }
            guard deadline < Clock.milliseconds() else {
                scheduleTimeoutLocked(txn, on: loop)
                return false
            }
            fenceLocked(&txn, reason: "transaction.timeout.ms (\(txn.timeoutMilliseconds) ms) passed")
            entries[id] = txn
            return true
        }
        if aborted { cluster?.notifyAll() }
    }

    private func allocateLocked() -> Int64 {
        defer { nextProducerID += 1 }
        return nextProducerID
    }

    // MARK: Snapshot

    /// Every transactional id's entry and the next producer id, for persistence.
    public func snapshot() -> TransactionSnapshot {
        lock.withLock {
            TransactionSnapshot(
                nextProducerID: nextProducerID,
                transactions: entries.values.sorted { $0.transactionalID < $1.transactionalID })
        }
    }

    /// Replaces the coordinator's state with `snapshot`: open transactions get their timeout timers back (on
    /// `loop`), and transactions caught while writing their markers complete now, as Kafka's coordinator
    /// completes them when it loads its log.
    public func restore(_ snapshot: TransactionSnapshot, timersOn loop: any EventLoop) {
        let completed = lock.withLock { () -> Bool in
            for (_, timer) in timers { timer.cancel() }
            timers = [:]
            entries = [:]
            transactionalIDs = [:]
            var next = snapshot.nextProducerID
            var completed = false
            for var txn in snapshot.transactions {
                next = max(next, txn.producerID + 1, txn.previousProducerID + 1)
                switch txn.state {
                case .prepareCommit, .prepareAbort:
                    completeLocked(&txn, commit: txn.state == .prepareCommit)
                    completed = true
                case .ongoing:
                    scheduleTimeoutLocked(txn, on: loop)
                case .empty, .completeCommit, .completeAbort:
                    break
                }
                entries[txn.transactionalID] = txn
                transactionalIDs[txn.producerID] = txn.transactionalID
            }
            nextProducerID = next
            return completed
        }
        if completed { cluster?.notifyAll() }
    }
}
