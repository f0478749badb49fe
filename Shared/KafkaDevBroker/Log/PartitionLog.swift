import NIOCore

/// One partition's log, in memory: the batches as producers sent them with the offsets this broker assigned,
/// the producer state Kafka keeps for idempotence, and the transaction index behind the last stable offset.
/// Not thread-safe: the cluster's lock guards it.
final class PartitionLog {
    let topic: String
    let partition: Int32
    var config: TopicConfig

    private(set) var batches: [RecordBatch] = []
    private(set) var logStartOffset: Int64 = 0
    private(set) var logEndOffset: Int64 = 0
    /// Bytes of the batches kept (the figure retention and the memory budget count).
    private(set) var sizeInBytes: Int = 0

    /// Each producer's state on this partition.
    private(set) var producers: [Int64: ProducerState] = [:]
    /// First offset of each producer's open transaction here; the smallest one is the last stable offset.
    private(set) var ongoingTransactions: [Int64: Int64] = [:]
    /// Aborted transactions, in the order their markers were written.
    private(set) var abortedTransactions: [AbortedTransaction] = []
    /// The partition's segments and, with a data directory, their files: every append is written there first.
    var storage: PartitionStorage?

    struct ProducerState {
        var epoch: Int16
        /// The last five batches' first and last sequences and base offsets, oldest first.
        var recent: [(first: Int32, last: Int32, baseOffset: Int64)] = []
        var lastSequence: Int32 { recent.last?.last ?? -1 }
    }

    struct AbortedTransaction: Sendable {
        var producerID: Int64
        var firstOffset: Int64
        /// The offset of the abort marker.
        var lastOffset: Int64
    }

    init(topic: String, partition: Int32, config: TopicConfig) {
        self.topic = topic
        self.partition = partition
        self.config = config
    }

    var highWatermark: Int64 { logEndOffset }
    var lastStableOffset: Int64 { ongoingTransactions.values.min() ?? highWatermark }

    enum AppendResult {
        case appended(baseOffset: Int64)
        /// A retry of one of the last five batches: answered with the offset it was first given.
        case duplicate(baseOffset: Int64)
        case refused(ErrorCode, String)
    }

    /// Checks a producer's batch against its state (epoch, sequence, transaction) and appends it.
    func append(_ incoming: RecordBatch, now: Int64) -> AppendResult {
        var batch = incoming
        if batch.isControl { return .refused(.invalidRecord, "a producer may not write control batches") }
        if batch.hasProducerID {
            let pid = batch.producerID
            if let state = producers[pid] {
                if batch.producerEpoch < state.epoch {
                    return .refused(
                        .invalidProducerEpoch,
                        "producer \(pid) epoch \(batch.producerEpoch) is older than the current \(state.epoch)")
                }
                if batch.producerEpoch == state.epoch {
                    if let hit = state.recent.first(where: {
                        $0.first == batch.baseSequence && $0.last == batch.lastSequence
                    }) {
                        return .duplicate(baseOffset: hit.baseOffset)
                    }
                    // A known epoch with no batch yet (a marker set it) must start at 0, as in Kafka.
                    let expected = state.lastSequence == Int32.max ? 0 : state.lastSequence + 1
                    if batch.baseSequence != expected {
                        return .refused(
                            .outOfOrderSequenceNumber,
                            "producer \(pid): sequence \(batch.baseSequence), expected \(expected)")
                    }
                } else if batch.baseSequence != 0 {
                    return .refused(
                        .outOfOrderSequenceNumber,
                        "producer \(pid): a new epoch \(batch.producerEpoch) must start at sequence 0, not \(batch.baseSequence)")
                }
            }
            if !batch.isTransactional && ongoingTransactions[pid] != nil {
                return .refused(.invalidTxnState, "producer \(pid) wrote outside its open transaction")
            }
        }
        if batch.size > config.maxMessageBytes {
            return .refused(.messageTooLarge, "a batch of \(batch.size) bytes is over max.message.bytes \(config.maxMessageBytes)")
        }
        let base = logEndOffset
        batch.assign(baseOffset: base)
        if let failure = storage?.write(batch, config: config, now: now) { return .refused(.kafkaStorageError, failure) }
        appendAssigned(batch)
        noteProducerBatch(batch)
        return .appended(baseOffset: base)
    }

    /// Updates the producer state and the open transactions for a data batch just appended.
    private func noteProducerBatch(_ batch: RecordBatch) {
        guard batch.hasProducerID else { return }
        let base = batch.baseOffset
        var state = producers[batch.producerID] ?? ProducerState(epoch: batch.producerEpoch)
        if state.epoch != batch.producerEpoch { state = ProducerState(epoch: batch.producerEpoch) }
        state.recent.append((batch.baseSequence, batch.lastSequence, base))
        if state.recent.count > 5 { state.recent.removeFirst(state.recent.count - 5) }
        producers[batch.producerID] = state
        if batch.isTransactional && ongoingTransactions[batch.producerID] == nil {
            ongoingTransactions[batch.producerID] = base
        }
    }

    /// Appends a batch read back from the data directory and rebuilds what it implies, as Kafka's recovery does:
    /// producer state, open transactions (a transactional data batch opens one) and the aborted index (a marker
    /// ends one).
    func replay(_ batch: RecordBatch) {
        appendAssigned(batch)
        if batch.isControl {
            if let commit = batch.controlIsCommit {
                noteMarker(producerID: batch.producerID, producerEpoch: batch.producerEpoch, commit: commit,
                    offset: batch.baseOffset)
            }
        } else {
            noteProducerBatch(batch)
        }
    }

    /// Writes a transaction marker for `producerID`, ends its open transaction here and, for an abort, records it
    /// in the aborted index. Returns the marker's offset.
    @discardableResult
    func writeMarker(producerID: Int64, producerEpoch: Int16, commit: Bool, coordinatorEpoch: Int32, now: Int64) -> Int64 {
        var marker = RecordBatch.controlBatch(
            producerID: producerID, producerEpoch: producerEpoch, commit: commit, coordinatorEpoch: coordinatorEpoch,
            timestamp: now)
        let offset = logEndOffset
        marker.assign(baseOffset: offset)
        _ = storage?.write(marker, config: config, now: now)  // a failure is logged; the marker stands in memory
        appendAssigned(marker)
        noteMarker(producerID: producerID, producerEpoch: producerEpoch, commit: commit, offset: offset)
        return offset
    }

    /// Ends the producer's open transaction here (an abort joins the aborted index) and fences older epochs.
    private func noteMarker(producerID: Int64, producerEpoch: Int16, commit: Bool, offset: Int64) {
        if let first = ongoingTransactions.removeValue(forKey: producerID), !commit {
            abortedTransactions.append(AbortedTransaction(producerID: producerID, firstOffset: first, lastOffset: offset))
        }
        // A marker's epoch may be a bump (a fenced or timed-out transaction): older epochs are fenced from now on.
        if var state = producers[producerID] {
            if producerEpoch > state.epoch { state = ProducerState(epoch: producerEpoch) }
            producers[producerID] = state
        } else {
            producers[producerID] = ProducerState(epoch: producerEpoch)
        }
    }

    /// Appends a batch whose offsets are assigned, from a produce, a marker or a restore from disk.
    func appendAssigned(_ batch: RecordBatch) {
        batches.append(batch)
        logEndOffset = batch.lastOffset + 1
        sizeInBytes += batch.size
        enforceRetention()
    }

    private func enforceRetention() {
        // retention.bytes applies to delete and compact,delete topics; a compact-only topic ignores it (Kafka).
        guard config.retentionBytes >= 0, config.cleanupPolicy != .compact else { return }
        var drop = 0
        var size = sizeInBytes
        // Kafka deletes whole segments below the stable offset; here whole batches, never the last one.
        while drop < batches.count - 1, size > config.retentionBytes, batches[drop].lastOffset < lastStableOffset {
            size -= batches[drop].size
            drop += 1
        }
        guard drop > 0 else { return }
        batches.removeFirst(drop)
        sizeInBytes = size
        logStartOffset = batches.first?.baseOffset ?? logEndOffset
        abortedTransactions.removeAll { $0.lastOffset < logStartOffset }
        storage?.dropSegments(below: logStartOffset)
    }

    /// The compactor's result: `cleaned` replaces the batches below `end` (same offsets, superseded records gone);
    /// batches retention dropped meanwhile stay dropped, and aborted transactions whose markers went leave the
    /// index. Returns the change in stored bytes.
    func replaceCleaned(below end: Int64, with cleaned: [RecordBatch], removedMarkers: Set<Int64>) -> Int {
        let cut = batches.firstIndex { $0.baseOffset >= end } ?? batches.count
        let first = batches.first?.baseOffset ?? end
        let kept = cleaned.filter { $0.baseOffset >= first }
        let delta = kept.reduce(0) { $0 + $1.size } - batches[..<cut].reduce(0) { $0 + $1.size }
        batches.replaceSubrange(..<cut, with: kept)
        sizeInBytes += delta
        if !removedMarkers.isEmpty { abortedTransactions.removeAll { removedMarkers.contains($0.lastOffset) } }
        return delta
    }

    struct ReadResult {
        var error: ErrorCode = .none
        var records: ByteBuffer?
        var aborted: [AbortedTransaction]?
        var bytes: Int { records?.readableBytes ?? 0 }
    }

    /// The batches from `offset` on, up to the high watermark (read_uncommitted) or the last stable offset
    /// (read_committed), at most `maxBytes` but always the first batch whole (KIP-74).
    func read(from offset: Int64, maxBytes: Int, readCommitted: Bool) -> ReadResult {
        guard offset >= logStartOffset && offset <= logEndOffset else { return ReadResult(error: .offsetOutOfRange) }
        let upper = readCommitted ? lastStableOffset : highWatermark
        var result = ReadResult()
        guard offset < upper else {
            if readCommitted { result.aborted = [] }
            return result
        }
        // The first batch whose last offset reaches `offset`.
        var lo = 0
        var hi = batches.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if batches[mid].lastOffset < offset { lo = mid + 1 } else { hi = mid }
        }
        var out = ByteBuffer()
        var i = lo
        var lastIncluded = offset
        while i < batches.count, batches[i].baseOffset < upper {
            let size = batches[i].size
            if out.readableBytes > 0 && out.readableBytes + size > maxBytes { break }
            out.writeImmutableBuffer(batches[i].bytes)
            lastIncluded = batches[i].lastOffset
            i += 1
        }
        result.records = out
        if readCommitted {
            result.aborted = abortedTransactions.filter { $0.lastOffset >= offset && $0.firstOffset <= lastIncluded }
        }
        return result
    }

    /// The first record whose timestamp reaches `timestamp`, its offset and timestamp (ListOffsets by time, as Kafka's
    /// segment search): within the first batch whose max timestamp reaches it; a batch whose records cannot be read
    /// here (snappy, lz4, zstd) answers with its base offset and max timestamp.
    func offset(forTimestamp timestamp: Int64) -> (offset: Int64, timestamp: Int64)? {
        guard let batch = batches.first(where: { $0.maxTimestamp >= timestamp && !$0.isControl }) else { return nil }
        let base: Int64 = batch.bytes.getInteger(at: batch.bytes.readerIndex + RecordBatch.Field.baseTimestamp) ?? 0
        if batch.recordsReadable, let records = try? batch.records() {
            for r in records where base + r.timestampDelta >= timestamp {
                return (batch.baseOffset + Int64(r.offsetDelta), base + r.timestampDelta)
            }
        }
        return (batch.baseOffset, batch.maxTimestamp)
    }
}
