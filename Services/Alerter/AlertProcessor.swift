import Foundation
import KakusaEvents
import KakusaKafka
import KakusaService
import Logging
import ServiceLifecycle
import Synchronization

/// The rule consumer: restores state, then for each batch of watched records evaluates the rules and writes the
/// alerts, the state changes and the input offsets in one transaction. Only after the commit does the in-memory
/// state move on (an aborted batch is re-read from the committed offsets against the unchanged state).
final class AlertProcessor: Service, @unchecked Sendable {
    let evaluator: AlertEvaluator
    let topics: Topics
    let stateTopic: String
    let kafka: KafkaConfiguration
    let group: String
    let consumer: KafkaConsumer
    let producer: KafkaProducer
    let readiness: Readiness
    let history: AlertHistory
    let stdout: StdoutSink?
    let logSink: LogSink
    let logger: Logger
    /// Only touched from `run()`.
    private var state = AlerterState() {
        didSet { published.withLock { $0 = state } }
    }
    /// A copy of the committed state for readers on other tasks (tests, diagnostics).
    private let published = Mutex(AlerterState())

    /// The state as of the last committed batch.
    var committedState: AlerterState { published.withLock { $0 } }

    static let readinessCheck = "alerter-state"

    init(
        rules: RuleSet, topics: Topics, kafka: KafkaConfiguration, group: String, consumer: KafkaConsumer,
        producer: KafkaProducer, readiness: Readiness, history: AlertHistory, logger: Logger
    ) {
        self.evaluator = AlertEvaluator(rules: rules)
        self.topics = topics
        self.stateTopic = topics.alerterState
        self.kafka = kafka
        self.group = group
        self.consumer = consumer
        self.producer = producer
        self.readiness = readiness
        self.history = history
        self.stdout = rules.sinks.contains(.stdout) ? StdoutSink() : nil
        self.logSink = LogSink(logger: logger)
        self.logger = logger
        readiness.set(Self.readinessCheck, ready: false, reason: "restoring state from \(stateTopic)")
    }

    func run() async throws {
        _ = try await KafkaAdmin.ensureTopics(
            [TopicRequest(name: stateTopic, partitions: topics.partitions, compacted: true)]
                + [TopicRequest(name: topics.alerts, partitions: topics.partitions)],
            configuration: kafka, logger: logger)
        try await producer.initTransactions()
        state = try await StateRestorer(topic: stateTopic, kafka: kafka, logger: logger).restore()
        readiness.set(Self.readinessCheck, ready: true, reason: "state restored")
        while true {
            let batch: [KafkaMessage]?
            do {
                // Only the wait is cancelled on shutdown; a batch in hand is finished and committed.
                batch = try await cancelWhenGracefulShutdown { [consumer] in
                    var iterator = consumer.messages.makeAsyncIterator()
                    return try await iterator.nextBatch()
                }
            } catch is CancellationError {
                break
            }
            guard let batch else { break }
            try await process(batch)
        }
        logger.info("alert processor stopped")
    }

    /// One batch, one transaction.
    func process(_ batch: [KafkaMessage]) async throws {
        var working = state
        var alerts: [Alert] = []
        var changedKeys: [String] = []
        var touched = Set<TopicPartition>()
        var deadLetters: [ProducerMessage] = []
        var skipped: [String: Int] = [:]
        var deadLettered: [String: Int] = [:]
        for message in batch {
            let partition = message.topicPartition
            if working.isApplied(partition, offset: message.offset) {
                skipped[message.topic, default: 0] += 1
                continue
            }
            working.appliedOffsets[partition] = message.offset
            touched.insert(partition)
            // A tombstone on a compacted view says nothing to alert on.
            guard let value = message.value, let kind = topics.kind(ofTopic: message.topic) else { continue }
            let record: ObservedRecord
            do {
                record = try ObservedRecord.decode(value, topic: kind)
            } catch {
                deadLetters.append(deadLetter(message, issues: error.issues))
                deadLettered[message.topic, default: 0] += 1
                continue
            }
            let outcome = evaluator.evaluate(record, topicName: message.topic, state: &working)
            for (rule, reason) in outcome.suppressed {
                AlerterMetrics.suppressed(rule: rule, reason: reason)
            }
            alerts += outcome.alerts
            changedKeys += outcome.changedKeys
        }
        var out: [ProducerMessage] = []
        for alert in alerts {
            out.append(
                ProducerMessage(
                    topic: topics.alerts, key: Array(alert.key.utf8), value: try KakusaJSON.encode(alert),
                    headers: CloudEventHeaders(for: alert, source: CloudEventHeaders.serviceSource("alerter"))
                        .headers.map { KafkaHeader(key: $0.key, value: $0.value) }))
        }
        out += deadLetters
        out += try working.changelogMessages(topic: stateTopic, subjectKeys: changedKeys, partitions: touched)
        let offsets = batch.nextOffsets
        do {
            // A batch with nothing to write (a re-delivery) still moves the group on inside a transaction: a plain
            // commit could land between another transaction's offsets and its marker and move them back.
            _ = try await producer.withTransaction(consumer: consumer, offsets: { offsets }) { [producer] in
                if !out.isEmpty { try await producer.submit(out).wait().throwIfFailed() }
            }
        } catch let error as KafkaError where error.code != .fatal {
            logger.warning(
                "batch transaction failed; re-reading from the committed offsets",
                metadata: [LogKey.error: "\(error)", LogKey.count: "\(batch.count)"])
            try await consumer.rewindToCommitted()
            return
        }
        state = working
        history.append(alerts)
        for alert in alerts {
            AlerterMetrics.alert(rule: alert.rule, severity: alert.severity.rawValue)
            logSink.deliver(alert)
            stdout?.deliver(alert)
        }
        let byTopic = Dictionary(grouping: batch, by: \.topic)
        for (topic, messages) in byTopic {
            AlerterMetrics.records(topic: topic, outcome: "read", count: messages.count)
        }
        for (topic, count) in skipped { AlerterMetrics.records(topic: topic, outcome: "skipped", count: count) }
        for (topic, count) in deadLettered {
            AlerterMetrics.records(topic: topic, outcome: "dead_lettered", count: count)
        }
    }

    private func deadLetter(_ message: KafkaMessage, issues: [ValidationIssue]) -> ProducerMessage {
        let headers = DeadLetterHeaders(
            issues: issues, service: "alerter", originalTopic: message.topic,
            originalPartition: Int(message.partition), originalOffset: message.offset)
        logger.warning(
            "record refused, sent to dead letters",
            metadata: [
                LogKey.topic: "\(message.topic)", LogKey.partition: "\(message.partition)",
                LogKey.offset: "\(message.offset)", LogKey.reason: "\(headers.errorMessage)",
            ])
        return ProducerMessage(
            topic: topics.deadLetters, key: message.key, value: message.value,
            headers: headers.headers.map { KafkaHeader(key: $0.key, value: $0.value) })
    }
}
