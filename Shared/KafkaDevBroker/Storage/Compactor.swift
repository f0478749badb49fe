import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Kafka's log cleaner for `cleanup.policy=compact` topics. Below the cleanable end (the active segment's base,
/// the last stable offset and `min.compaction.lag.ms`, whichever is lowest) it keeps the latest record of each
/// key, drops aborted transactions' records, and drops tombstones and markers whose transaction has no record
/// left once their delete horizon (`delete.retention.ms` after the cleaner first kept them) has passed. Offsets
/// never change: a batch is rewritten with its survivors (new length and CRC), and an emptied batch is dropped,
/// or kept empty when it is its producer's last (so its sequence survives).
enum Compactor {
    /// What one pass did, for the log and the tests.
    struct Pass: Sendable, Equatable {
        var partitionsCleaned = 0
        var recordsRemoved = 0
        var bytesFreed = 0
    }

    /// Codecs already reported as kept whole (logged once per process).
    private static let reportedCodecs = NIOLockedValueBox<Set<Int>>([])

    /// One pass over every compacted partition: those whose dirty share reaches `min.cleanable.dirty.ratio`, or
    /// with a delete horizon passed, are cleaned (all of them when `force`).
    static func run(_ cluster: Cluster, force: Bool = false) -> Pass {
        let logs = cluster.lock.withLock {
            cluster.topics.values.filter { $0.config.compacts }.flatMap(\.partitions)
        }
        var pass = Pass()
        for log in logs { clean(log, in: cluster, force: force, into: &pass) }
        if pass.partitionsCleaned > 0 {
            cluster.logger.debug(
                "compaction pass",
                metadata: [
                    "partitions": "\(pass.partitionsCleaned)", "recordsRemoved": "\(pass.recordsRemoved)",
                    "bytesFreed": "\(pass.bytesFreed)",
                ])
        }
        return pass
    }

    private struct Input {
        var end: Int64
        var batches: [RecordBatch]
        var aborted: [PartitionLog.AbortedTransaction]
        var lastBatchOfProducer: Set<Int64>
        var horizons: [Int64: Int64]
        var deleteRetention: Int64
    }

    private struct Output {
        var batches: [RecordBatch] = []
        var removedAbortMarkers: Set<Int64> = []
        var horizons: [Int64: Int64] = [:]
        var recordsRemoved = 0
    }

    private static func clean(_ log: PartitionLog, in cluster: Cluster, force: Bool, into pass: inout Pass) {
        let now = Clock.milliseconds()
        // Phase 1, under the lock: what may be cleaned, and whether it is worth it.
        let input = cluster.lock.withLock { () -> Input? in
            guard let storage = log.storage, let active = storage.activeSegmentBase else { return nil }
            var end = min(active, log.lastStableOffset)
            let lag = log.config.minCompactionLagMilliseconds
            if lag > 0, let young = log.batches.first(where: { $0.maxTimestamp > now - lag }) {
                end = min(end, young.baseOffset)
            }
            let batches = Array(log.batches.prefix { $0.baseOffset < end })
            guard !batches.isEmpty else { return nil }
            let dirty = batches.reduce(0) { $0 + ($1.baseOffset >= storage.firstDirtyOffset ? $1.size : 0) }
            let total = batches.reduce(0) { $0 + $1.size }
            let due = storage.deleteHorizons.values.contains { $0 <= now }
            let ratio = Double(dirty) / Double(max(total, 1))
            guard force || due || (dirty > 0 && ratio >= log.config.minCleanableDirtyRatio) else { return nil }
            return Input(
                end: end, batches: batches, aborted: log.abortedTransactions,
                lastBatchOfProducer: Set(log.producers.values.compactMap { $0.recent.last?.baseOffset }),
                horizons: storage.deleteHorizons, deleteRetention: log.config.deleteRetentionMilliseconds)
        }
        guard let input else { return }
        // Phase 2, without the lock: appends go on meanwhile (above `end`), retention may drop the oldest batches.
        let output = compute(input, now: now, logger: cluster.logger, topic: log.topic)
        // Phase 3, under the lock: splice the result in, unless the topic was deleted meanwhile.
        cluster.lock.withLock {
            guard let topic = cluster.topics[log.topic], Int(log.partition) < topic.partitions.count,
                topic.partitions[Int(log.partition)] === log, let storage = log.storage
            else { return }
            let delta = log.replaceCleaned(
                below: input.end, with: output.batches, removedMarkers: output.removedAbortMarkers)
            cluster.storedBytes += delta
            storage.firstDirtyOffset = input.end
            storage.deleteHorizons = output.horizons
            storage.rewriteSegments(below: input.end, batches: log.batches)
            pass.partitionsCleaned += 1
            pass.recordsRemoved += output.recordsRemoved
            pass.bytesFreed -= delta
        }
    }

    private static func compute(_ input: Input, now: Int64, logger: Logger, topic: String) -> Output {
        var abortedRanges: [Int64: [ClosedRange<Int64>]] = [:]
        for a in input.aborted { abortedRanges[a.producerID, default: []].append(a.firstOffset...a.lastOffset) }
        func isAborted(_ batch: RecordBatch) -> Bool {
            guard batch.isTransactional, !batch.isControl, let ranges = abortedRanges[batch.producerID] else {
                return false
            }
            return ranges.contains { $0.contains(batch.baseOffset) }
        }
        // The latest offset of each key among the records that count (not aborted, not markers).
        var decoded: [Int64: [StoredRecord]] = [:]
        var latest: [ByteBuffer: Int64] = [:]
        for batch in input.batches where !batch.isControl && !isAborted(batch) {
            guard batch.recordsReadable else {
                let first = reportedCodecs.withLockedValue { $0.insert(batch.compression).inserted }
                if first {
                    logger.notice(
                        "compaction keeps \(batch.codecName) batches whole: the devbroker has no \(batch.codecName) codec",
                        metadata: ["topic": "\(topic)"])
                }
                continue
            }
            guard let records = try? batch.records() else { continue }
            decoded[batch.baseOffset] = records
            for r in records {
                if let key = r.key { latest[key] = batch.baseOffset + Int64(r.offsetDelta) }
            }
        }
        var out = Output()
        // Whether each producer's current transaction still has a record kept (its marker must then stay).
        var transactionHasData: [Int64: Bool] = [:]
        for batch in input.batches {
            let base = batch.baseOffset
            if batch.isControl {
                let hasData = transactionHasData.removeValue(forKey: batch.producerID) ?? false
                if !hasData {
                    if let horizon = input.horizons[base] {
                        if now >= horizon {
                            if batch.controlIsCommit == false { out.removedAbortMarkers.insert(base) }
                            out.recordsRemoved += Int(batch.recordCount)
                            continue
                        }
                        out.horizons[base] = horizon
                    } else {
                        out.horizons[base] = now + input.deleteRetention
                    }
                }
                out.batches.append(batch)
                continue
            }
            if isAborted(batch) {
                out.recordsRemoved += Int(batch.recordCount)
                continue
            }
            guard let records = decoded[base] else {
                out.batches.append(batch)  // a codec the devbroker lacks, or records it cannot read: kept whole
                if batch.isTransactional { transactionHasData[batch.producerID] = true }
                continue
            }
            var kept: [StoredRecord] = []
            var tombstones = false
            for r in records {
                let offset = base + Int64(r.offsetDelta)
                if let key = r.key, let last = latest[key], last > offset { continue }
                if r.isTombstone {
                    if let horizon = input.horizons[base], now >= horizon { continue }
                    tombstones = true
                }
                kept.append(r)
            }
            if tombstones { out.horizons[base] = input.horizons[base] ?? now + input.deleteRetention }
            if batch.isTransactional && !kept.isEmpty { transactionHasData[batch.producerID] = true }
            out.recordsRemoved += records.count - kept.count
            if kept.count == records.count {
                out.batches.append(batch)
            } else if !kept.isEmpty || input.lastBatchOfProducer.contains(base) {
                if let cleaned = try? batch.rewritten(keeping: kept) {
                    out.batches.append(cleaned)
                } else {
                    out.batches.append(batch)
                    out.recordsRemoved -= records.count - kept.count
                }
            }
        }
        return out
    }
}
