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
/// consumer's batches one at a time. Each batch is one transaction: the derived records, dead letters and
/// repartitioned records, then the changelog records of the new state and of the applied input offsets, then the
/// input offsets. An aborted transaction puts back the state from before the batch and rewinds the consumer.
///
/// Within a transaction the outputs are acknowledged before the changelog is written: where transactions are not
/// exact (the devbroker shows aborted and unfinished ones), a crash can then only repeat an output, under the same
/// deterministic id, never lose one.
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
    private let stop = StopSignal()
    private let recordsIn = Counter(label: "kakusa_aggregator_records_in_total")
    private let recordsSkipped = Counter(label: "kakusa_aggregator_records_skipped_total")
    private let derivedOut = Counter(label: "kakusa_aggregator_records_out_total", dimensions: [("kind", "derived")])
    private let deadLettersOut = Counter(label: "kakusa_aggregator_records_out_total", dimensions: [("kind", "dead_letter")])
    private let transactions = Timer(label: "kakusa_aggregator_transaction_seconds")
    private let aborted = Counter(label: "kakusa_aggregator_transactions_aborted_total")

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
    }

    func run() async throws {
        readiness.set(Self.readinessCheck, ready: false, reason: "restoring state from the changelog")
        let deriver = BatchDeriver(topics: settings.topics, rates: settings.rates)
        try await withGracefulShutdownHandler {
            // A SIGTERM while the broker is still away must not wait for the start-up calls' own timeouts.
            guard var state = try await untilStopped({ try await self.start() }) else {
                logger.info("stopped before the state was restored")
                return
            }
            var restoredFor = consumer.assignedPartitions
            view.publish(state)
            readiness.set(Self.readinessCheck, ready: true, reason: "state restored")
            while let batch = try await nextBatch() {
                let assigned = consumer.assignedPartitions
                if !assigned.isSubset(of: restoredFor) {
                    state = try await restore()
                    view.publish(state)
                }
                restoredFor = assigned
                let snapshot = state
                let started = ContinuousClock.now
                let result = deriver.derive(batch, state: &state)
                do {
                    try await commit(result, offsets: batch.nextOffsets)
                } catch let error as KafkaError where error.code != .fatal {
                    state = snapshot
                    aborted.increment()
                    logger.warning("transaction aborted; rewinding", metadata: [LogKey.error: "\(error)"])
                    try await consumer.rewindToCommitted()
                    try await Task.sleep(for: .milliseconds(200))
                    continue
                }
                transactions.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
                recordsIn.increment(by: batch.count)
                recordsSkipped.increment(by: result.skipped)
                derivedOut.increment(by: result.derived)
                deadLettersOut.increment(by: result.deadLetters)
                if result.deadLetters > 0 {
                    logger.warning("records dead-lettered", metadata: ["count": "\(result.deadLetters)"])
                }
                view.publish(state)
            }
        } onGracefulShutdown: {
            self.stop.fire()
        }
        logger.info("aggregator stopped")
    }

    /// Topics, transactions (fencing a predecessor with the same id), then the state.
    private func start() async throws -> StateStore {
        await ensureTopics()
        try await producer.initTransactions()
        return try await restore()
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

    /// One transaction: outputs (acknowledged), then the changelog (acknowledged), then the input offsets.
    private func commit(_ result: BatchDeriver.Result, offsets: [TopicPartitionOffset]) async throws {
        try await producer.withTransaction(consumer: consumer, offsets: { offsets }) {
            if !result.outputs.isEmpty {
                try await producer.submit(result.outputs).wait().throwIfFailed()
            }
            if !result.changelog.isEmpty {
                try await producer.submit(result.changelog).wait().throwIfFailed()
            }
        }
    }

    /// The next batch, or nil once graceful shutdown began or the consumer ended. A batch taken but not returned
    /// (shutdown won the race) was never committed and is read again after the restart.
    private func nextBatch() async throws -> [KafkaMessage]? {
        if stop.isFired { return nil }
        let consumer = self.consumer
        let stop = self.stop
        return try await withThrowingTaskGroup(of: [KafkaMessage]?.self) { group in
            group.addTask {
                var iterator = consumer.messages.makeAsyncIterator()
                return try await iterator.nextBatch()
            }
            group.addTask {
                await stop.wait()
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }

    /// The state as the changelog has it now.
    private func restore() async throws -> StateStore {
        let started = ContinuousClock.now
        let messages = try await KafkaTopicReader(kafka: settings.kafka)
            .readAll(topic: settings.topics.aggregatorState, logger: logger)
        let count = messages.count
        var state = StateStore()
        var unknown = 0
        for message in messages where !state.restore(key: message.keyString ?? "", value: message.value) {
            unknown += 1
        }
        logger.info(
            "state restored",
            metadata: [
                "records": "\(count)", "unreadable": "\(unknown)", "companies": "\(state.valuations.histories.count)",
                "partitions": "\(state.appliedOffsets.count)", "ms": "\((ContinuousClock.now - started).milliseconds)",
            ])
        return state
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
