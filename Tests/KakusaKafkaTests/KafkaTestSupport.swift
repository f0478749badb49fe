import KakusaTestSupport
import Foundation
import KakusaKafka
import Logging
import Testing

/// A fresh in-memory broker (librdkafka's mock cluster, the devbroker's engine) for one test.
func withBroker<T>(
    topics: [String: Int], brokers: Int = 1, _ body: (EmbeddedKafka) async throws -> T
) async throws -> T {
    let cluster = try EmbeddedKafka(brokers: brokers, logger: testLogger)
    for (name, partitions) in topics { try cluster.createTopic(name, partitions: partitions) }
    return try await body(cluster)
}

let testLogger: Logger = {
    var logger = Logger(label: "kakusa-kafka-tests")
    logger.logLevel = ProcessInfo.processInfo.environment["KAKUSA_TEST_LOG"] != nil ? .debug : .critical
    return logger
}()

func producerConfiguration(_ cluster: EmbeddedKafka, transactionalID: String? = nil, queue: Int = 100_000) -> KafkaProducerConfiguration {
    KafkaProducerConfiguration(
        kafka: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers), transactionalID: transactionalID,
        queueMaxMessages: queue)
}

func consumerConfiguration(
    _ cluster: EmbeddedKafka, group: String, topics: [String],
    isolation: KafkaConsumerConfiguration.IsolationLevel = .readCommitted
) -> KafkaConsumerConfiguration {
    KafkaConsumerConfiguration(
        kafka: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers), groupID: group, topics: topics,
        isolationLevel: isolation, sessionTimeoutMilliseconds: 6000)
}

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out: \(what)" }
}

/// Runs `body` but fails after `seconds`, so a broken consumer fails the test instead of hanging it.
func withDeadline<T: Sendable>(_ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw TimedOut(what: what)
        }
        let result = try await group.next()!
        group.cancelAll()
        return result
    }
}

/// Runs a consumer in the group, reads records until `until` says stop (or `idle` seconds pass with
/// nothing new), commits what it read if asked, and leaves the group.
func consume(
    _ configuration: KafkaConsumerConfiguration, commit: Bool = true, idle: Double = 3, deadline: Double = 60,
    until: @escaping @Sendable ([KafkaMessage]) -> Bool
) async throws -> [KafkaMessage] {
    let consumer = try KafkaConsumer(configuration: configuration, logger: testLogger)
    return try await withDeadline(deadline, "consuming from \(configuration.topics)") {
        try await withThrowingTaskGroup(of: [KafkaMessage]?.self) { group in
            group.addTask {
                try await consumer.run()
                return nil
            }
            group.addTask {
                var received: [KafkaMessage] = []
                while !until(received) {
                    // Joining the group takes the mock broker ~3 s: the idle limit starts after the first record.
                    let batch = try await withIdleLimit(received.isEmpty ? max(idle, 15) : idle) {
                        var iterator = consumer.messages.makeAsyncIterator()
                        return try await iterator.nextBatch()
                    }
                    guard let batch, let messages = batch else { break }
                    received.append(contentsOf: messages)
                }
                if commit && !received.isEmpty { try await consumer.commit(received.nextOffsets) }
                return received
            }
            var result: [KafkaMessage] = []
            while let next = try await group.next() {
                if let messages = next {
                    result = messages
                    group.cancelAll()
                }
            }
            return result
        }
    }
}

/// Returns nil when `body` gives nothing within `seconds` (the stream went quiet).
private func withIdleLimit<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        defer { group.cancelAll() }
        do {
            return try await group.next()!
        } catch is CancellationError {
            return nil
        }
    }
}

func message(_ topic: String, _ i: Int, headers: [KafkaHeader] = []) -> ProducerMessage {
    ProducerMessage(topic: topic, key: "key-\(i)", value: "value-\(i)", headers: headers)
}
