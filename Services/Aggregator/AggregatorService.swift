import Foundation
import KakusaEvents
import KakusaKafka
import KakusaService
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// The aggregator's consume → derive → produce loop, exactly once per batch.
///
/// On start it restores its state from the changelog (readiness `state` stays false until then), then takes the
/// consumer's batches one at a time. Each batch is one transaction, written in acknowledged steps: the derived
/// records, dead letters and repartitioned records; then the changelog records of the new state; then those of the
/// applied input offsets, and the input offsets. Before all of them, acknowledged first, it notes in the changelog
/// where on each output partition the transaction can start writing.
///
/// On Kafka the transaction alone makes this exact. The devbroker shows the records of an aborted or unfinished
/// transaction to every reader, so a crash in the middle of one leaves some of its outputs (and changelog records)
/// visible. Hence the order above and, on every restore, a look at the output topics from the noted positions on
/// (``PendingOutputs``): the batch is derived again and what is already there is not written twice. An aborted
/// transaction is handled the same way: the state is restored and the consumer rewound.
///
/// When the group gives this instance partitions it did not have, the state is read again from the changelog:
/// the previous owner committed its last batch before letting them go.
final class AggregatorService: Service, Sendable {
    let settings: AggregatorSettings
    let consumer: KafkaConsumer
    let producer: KafkaProducer
    let view: StateView
    let readiness: Readiness
    let logger: Logger
    private let stop = Signal()
    private let recordsIn = Counter(label: "kakusa_aggregator_records_in_total")
    private let recordsSkipped = Counter(label: "kakusa_aggregator_records_skipped_total")
    private let derivedOut = Counter(label: "kakusa_aggregator_records_out_total", dimensions: [("kind", "derived")])
    private let deadLettersOut = Counter(label: "kakusa_aggregator_records_out_total", dimensions: [("kind", "dead_letter")])
    private let transactions = Timer(label: "kakusa_aggregator_transaction_seconds")
    /// The CPU part of a batch (decode, derive, encode), within its transaction time.
    private let derivations = Timer(label: "kakusa_aggregator_derive_seconds")
    private let aborted = Counter(label: "kakusa_aggregator_transactions_aborted_total")
    private let suppressedOut = Counter(label: "kakusa_aggregator_outputs_already_written_total")
    /// Per input topic: high watermark − position, summed over the owned partitions.
    private let lagGauges: [String: Gauge]

    static let readinessCheck = "state"

    init(
        settings: AggregatorSettings, consumer: KafkaConsumer, producer: KafkaProducer, view: StateView,
        readiness: Readiness, logger: Logger
    ) {
        self.settings = settings
        self.consumer = consumer
        self.producer = producer
        self.view = view
        self.readiness = readiness
        self.logger = logger
        lagGauges = Dictionary(uniqueKeysWithValues: settings.inputTopics.map {
            ($0, Gauge(label: "kakusa_aggregator_consumer_lag_records", dimensions: [("topic", $0)]))
        })
    }

    func run() async throws {
        readiness.set(Self.readinessCheck, ready: false, reason: "restoring state from the changelog")
        let deriver = BatchDeriver(topics: settings.topics, rates: settings.rates)
        try await withGracefulShutdownHandler {
            // A SIGTERM while the broker is still away must not wait for the start-up calls' own timeouts.
            guard let started = try await untilStopped({ try await self.start() }) else {
                logger.info("stopped before the state was restored")
                return
            }
            var (pending, noted) = (started.pending, started.noted)
            let outputPartitions = started.outputPartitions
            var restoredFor = started.restoredFor
            readiness.set(Self.readinessCheck, ready: true, reason: "state restored")
            // The transaction of the previous batch, still committing while this one is derived (one at a time).
            var inFlight: InFlight?
            // The buffers of the batch before, written and acknowledged: reused, not allocated (and faulted in) again.
            var spare: BatchDeriver.Result?
            while true {
                let next = try await nextBatch(orEndOf: inFlight)
                // Settled as soon as it ends, not with the next batch: one that failed is tried again at once, not
                // when more input comes. A batch taken meanwhile is from before the rewind: dropped.
                if next.transactionEnded, let previous = inFlight.take(),
                    try await rewound(settling: previous, pending: &pending, noted: &noted, spare: &spare)
                {
                    continue
                }
                if next.stopped { break }
                guard let batch = next.batch else { continue }
                let assigned = consumer.assignedPartitions
                if !assigned.isSubset(of: restoredFor) {
                    if let previous = inFlight.take(),
                        try await rewound(settling: previous, pending: &pending, noted: &noted, spare: &spare)
                    {
                        continue
                    }
                    (pending, noted) = try await restoreState()
                }
                restoredFor = assigned
                let began = ContinuousClock.now
                // Derived in place (no copy of the state per batch): an aborted transaction restores it anyway.
                var result = spare.take() ?? BatchDeriver.Result()
                let applied = view.update { state in
                    deriver.derive(batch, state: &state, into: &result)
                    return state.appliedOffsets
                }
                let outputs = pending.unwritten(result.outputs)
                derivations.recordNanoseconds((ContinuousClock.now - began).nanoseconds)
                // The previous transaction aborted: this batch is read again after the rewind.
                if let previous = inFlight.take(),
                    try await rewound(settling: previous, pending: &pending, noted: &noted, spare: &spare)
                {
                    continue
                }
                let starts = pending.earliest
                let notedNow = noted
                let offsets = batch.nextOffsets
                let count = batch.count
                let ended = Signal()
                let task = Task { [result] () throws -> Committed in
                    defer { ended.fire() }
                    // No transaction of this instance is open: none of its later records can precede these ends.
                    var ends = try await self.outputEnds(outputPartitions)
                    ends.merge(starts) { min($0, $1) }
                    let changed = ends.filter { notedNow[$0.key] != $0.value }
                    try await self.commit(outputs, result, starts: changed, offsets: offsets)
                    self.committed(result, count: count, written: outputs.count, began: began)
                    return Committed(ends: ends, result: result)
                }
                inFlight = InFlight(task: task, ended: ended, applied: applied)
            }
            if let previous = inFlight {
                // Shutting down, an aborted transaction needs no restore and no rewind: its batch, never committed,
                // is read again after the restart.
                do {
                    _ = try await previous.task.value
                } catch let error as KafkaError where error.code != .fatal {
                    aborted.increment()
                    logger.warning("transaction aborted at shutdown", metadata: [LogKey.error: "\(error)"])
                }
            }
        } onGracefulShutdown: {
            self.stop.fire()
        }
        logger.info("aggregator stopped")
    }

    /// A batch's transaction under way, and the input offsets applied once it commits.
    private struct InFlight {
        var task: Task<Committed, any Error>
        /// Fired when the task ends, committed or not.
        var ended: Signal
        var applied: [TopicPartition: Int64]
    }

    /// A committed batch: the output ends noted before it, and its result, whose buffers the next batch but one reuses.
    private struct Committed: Sendable {
        var ends: [TopicPartition: Int64]
        var result: BatchDeriver.Result
    }

    /// Waits for the transaction in flight. Committed: notes its output ends, resolves pending outputs, returns false.
    /// Aborted: rewinds the consumer, restores the state from the changelog (with `pending` and `noted`) and returns
    /// true: the loop starts again from the committed offsets.
    private func rewound(
        settling inFlight: InFlight, pending: inout PendingOutputs, noted: inout [TopicPartition: Int64],
        spare: inout BatchDeriver.Result?
    ) async throws -> Bool {
        do {
            let committed = try await inFlight.task.value
            noted = committed.ends
            spare = committed.result
            pending.resolve(applied: inFlight.applied)
            return false
        } catch let error as KafkaError where error.code != .fatal {
            aborted.increment()
            logger.warning("transaction aborted; restoring and rewinding", metadata: [LogKey.error: "\(error)"])
            try await consumer.rewindToCommitted()
            try await Task.sleep(for: .milliseconds(200))
            (pending, noted) = try await restoreState()
            return true
        }
    }

    /// Metrics and logs after a batch's transaction committed.
    private func committed(_ result: BatchDeriver.Result, count: Int, written: Int, began: ContinuousClock.Instant) {
        transactions.recordNanoseconds((ContinuousClock.now - began).nanoseconds)
        recordsIn.increment(by: count)
        recordsSkipped.increment(by: result.skipped)
        derivedOut.increment(by: result.derived)
        deadLettersOut.increment(by: result.deadLetters)
        if written < result.outputs.count {
            suppressedOut.increment(by: result.outputs.count - written)
            logger.info(
                "outputs already written before the restart left out",
                metadata: ["count": "\(result.outputs.count - written)"])
        }
        if result.deadLetters > 0 {
            logger.warning("records dead-lettered", metadata: ["count": "\(result.deadLetters)"])
        }
        updateLag()
    }

    private struct Started: Sendable {
        var pending: PendingOutputs
        var noted: [TopicPartition: Int64]
        var restoredFor: Set<TopicPartition>
        var outputPartitions: [TopicPartition]
    }

    /// Topics, transactions (fencing a predecessor with the same id), the first assignment, the state, and the
    /// output partitions.
    private func start() async throws -> Started {
        await ensureTopics()
        try await producer.initTransactions()
        // The group assigns partitions within seconds; restoring after that spares a second restore on the first
        // batch. An instance left without partitions restores anyway after a while.
        let deadline = ContinuousClock.now + .seconds(15)
        while consumer.assignedPartitions.isEmpty && ContinuousClock.now < deadline && !stop.isFired {
            try await Task.sleep(for: .milliseconds(20))
        }
        let restoredFor = consumer.assignedPartitions
        let (pending, noted) = try await restoreState()
        let metadata = try await producer.metadata(timeout: .seconds(10))
        let outputPartitions = settings.outputTopics.flatMap { topic in
            (0..<Int32(metadata.topicPartitions[topic] ?? 0)).map { TopicPartition(topic: topic, partition: $0) }
        }
        return Started(pending: pending, noted: noted, restoredFor: restoredFor, outputPartitions: outputPartitions)
    }

    /// The output partitions' ends before a transaction, asked again for up to a minute while the brokers are away:
    /// nothing of the batch is written yet, so waiting costs nothing, where failing would restore the state and
    /// rewind the input.
    private func outputEnds(_ partitions: [TopicPartition]) async throws -> [TopicPartition: Int64] {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            do {
                return try await producer.endOffsets(partitions)
            } catch let error as KafkaError where error.code != .fatal && ContinuousClock.now < deadline && !stop.isFired {
                logger.warning("output ends unknown, asking again", metadata: [LogKey.error: "\(error)"])
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    private func outputEndRecords(_ ends: [TopicPartition: Int64]) -> [ProducerMessage] {
        ends.sorted { ($0.key.topic, $0.key.partition) < ($1.key.topic, $1.key.partition) }.map { partition, end in
            ProducerMessage(
                topic: settings.topics.aggregatorState,
                key: Array(StateStore.outputEndKey(instance: settings.transactionalID, partition).utf8),
                value: Array(String(end).utf8))
        }
    }

    private func updateLag() {
        var perTopic: [String: Int64] = [:]
        for (partition, lag) in consumer.lag() { perTopic[partition.topic, default: 0] += lag }
        for (topic, gauge) in lagGauges { gauge.record(perTopic[topic] ?? 0) }
    }

    /// The result of `operation`, or nil as soon as graceful shutdown begins (the operation is then left to end
    /// on its own, or with the process).
    private func untilStopped<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T? {
        let stop = self.stop
        let once = OnceContinuation<T?>()
        return try await withCheckedThrowingContinuation { continuation in
            once.set(continuation)
            let watcher = Task {
                await stop.wait()
                if stop.isFired { once.resume(with: .success(nil)) }
            }
            Task {
                let result: Result<T?, any Error>
                do {
                    result = .success(try await operation())
                } catch {
                    result = .failure(error)
                }
                once.resume(with: result)
                watcher.cancel()
            }
        }
    }

    /// One transaction: where it can start writing outputs (changed ones only), outputs, state entries, applied
    /// offsets, each acknowledged before the next is sent; then the input offsets.
    private func commit(
        _ outputs: ProducerBatch, _ result: BatchDeriver.Result, starts: [TopicPartition: Int64],
        offsets: [TopicPartitionOffset]
    ) async throws {
        try await producer.withTransaction(consumer: consumer, offsets: { offsets }) {
            if !starts.isEmpty {
                try await producer.submit(outputEndRecords(starts)).wait().throwIfFailed()
            }
            if !outputs.isEmpty {
                try await producer.submit(outputs).wait().throwIfFailed()
            }
            if !result.stateRecords.isEmpty {
                try await producer.submit(result.stateRecords).wait().throwIfFailed()
            }
            if !result.offsetRecords.isEmpty {
                try await producer.submit(result.offsetRecords).wait().throwIfFailed()
            }
        }
    }

    /// What ended the wait for the next batch: a batch, the end of the transaction in flight, graceful shutdown (or
    /// the consumer's end); more than one when they came together.
    private struct Next {
        var batch: [KafkaMessage]?
        var transactionEnded = false
        var stopped = false
    }

    /// Waits for the next batch, or for the transaction in flight to end, or for graceful shutdown. A batch taken as
    /// the wait ends for another reason is kept, not dropped: its records would otherwise be skipped. (A batch taken
    /// once shutdown began was never committed and is read again after the restart.)
    private func nextBatch(orEndOf inFlight: InFlight?) async throws -> Next {
        if stop.isFired { return Next(stopped: true) }
        let consumer = self.consumer
        let stop = self.stop
        enum Event: Sendable {
            case batch([KafkaMessage]?)
            case transactionEnded, stopped
        }
        return try await withThrowingTaskGroup(of: Event.self) { group in
            group.addTask {
                var iterator = consumer.messages.makeAsyncIterator()
                return .batch(try await iterator.nextBatch())
            }
            group.addTask {
                await stop.wait()
                return .stopped
            }
            if let ended = inFlight?.ended {
                group.addTask {
                    await ended.wait()
                    return .transactionEnded
                }
            }
            var next = Next()
            func note(_ event: Event?) {
                guard case .batch(let batch)? = event else { return }
                next.batch = batch
                if batch == nil { next.stopped = true }  // the consumer ended
            }
            // The first to end; then the others are cancelled (a cancelled wait ends at once), and a batch one of
            // them still brings is kept. A consumer error is thrown once they are all done.
            note(try await group.next())
            group.cancelAll()
            var failure: (any Error)?
            while !group.isEmpty {
                do {
                    note(try await group.next())
                } catch is CancellationError {
                } catch {
                    failure = error
                }
            }
            if let failure { throw failure }
            next.transactionEnded = inFlight?.ended.isFired ?? false
            // Cancelled without a graceful shutdown (another service failed): the waits end at once, so stop too.
            next.stopped = next.stopped || stop.isFired || Task.isCancelled
            return next
        }
    }

    /// Restores the state from the changelog into the view; returns the outputs written from input it has not applied,
    /// and where this instance noted its latest transaction could start writing.
    private func restoreState() async throws -> (PendingOutputs, [TopicPartition: Int64]) {
        let (state, pending) = try await restore()
        let noted = state.outputEnds[settings.transactionalID] ?? [:]
        view.replace(with: state)
        return (pending, noted)
    }

    /// The state as the changelog has it now, and the outputs written from input it has not applied.
    private func restore() async throws -> (StateStore, PendingOutputs) {
        let started = ContinuousClock.now
        let reader = KafkaTopicReader(kafka: settings.kafka)
        let messages = try await reader.readAll(topic: settings.topics.aggregatorState, logger: logger)
        let count = messages.count
        var state = StateStore()
        var unknown = 0
        for message in messages where !state.restore(key: message.keyString ?? "", value: message.value) {
            unknown += 1
        }
        let starts = state.unfinishedOutputStarts
        let logger = self.logger
        let tail = try await withThrowingTaskGroup(of: [KafkaMessage].self) { group in
            for topic in settings.outputTopics {
                var from: [Int32: Int64] = [:]
                for (partition, start) in starts where partition.topic == topic { from[partition.partition] = start }
                group.addTask { try await reader.readAll(topic: topic, from: from, logger: logger) }
            }
            var all: [KafkaMessage] = []
            for try await part in group { all += part }
            return all
        }
        let pending = PendingOutputs(tail: tail, state: state)
        logger.info(
            "state restored",
            metadata: [
                "records": "\(count)", "unreadable": "\(unknown)", "companies": "\(state.valuations.companyCount)",
                "partitions": "\(state.appliedOffsets.count)", "output_tail": "\(tail.count)",
                "output_pending": "\(pending.count)",
                "ms": "\((ContinuousClock.now - started).milliseconds)",
            ])
        return (state, pending)
    }

    /// Creates the topics the aggregator writes and reads, where missing, on a real cluster (the devbroker creates
    /// them itself and never answers, which is not an error).
    private func ensureTopics() async {
        let topics = settings.topics
        let requests =
            (topics.all + topics.internalAll).map { TopicRequest(name: $0.name, partitions: $0.partitions, compacted: $0.compacted) }
        do {
            let outcome = try await KafkaAdmin.ensureTopics(requests, configuration: settings.kafka, logger: logger)
            if !outcome.created.isEmpty { logger.info("topics created", metadata: ["topics": "\(outcome.created)"]) }
        } catch {
            logger.warning("could not ensure topics", metadata: [LogKey.error: "\(error)"])
        }
    }
}

/// A continuation resumed by whichever side comes first.
private final class OnceContinuation<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)
    func set(_ value: CheckedContinuation<T, any Error>) { continuation.withLock { $0 = value } }
    func resume(with result: Result<T, any Error>) {
        continuation.withLock { c in defer { c = nil }; return c }?.resume(with: result)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }

    var milliseconds: Int64 { nanoseconds / 1_000_000 }
}
