import Foundation
import KakusaEvents
import KakusaKafka
import KakusaService
import Logging

/// Reads the whole changelog back into an `AlerterState` before any input is processed.
///
/// The Kafka layer has no "read to the end" call, so the end is marked: a tombstone keyed `@restore:<token>` is
/// written (in a transaction) to every partition of the changelog, then a throwaway consumer group reads from the
/// beginning until it has seen every marker. Everything before a marker is the state as of the restore.
struct StateRestorer {
    static let markerPrefix = "@restore:"

    var topic: String
    var kafka: KafkaConfiguration
    var group: String
    var producer: KafkaProducer
    var deadline: Duration = .seconds(90)
    var logger: Logger

    func restore() async throws -> AlerterState {
        let token = UUID().uuidString.lowercased()
        let markerKey = Array((Self.markerPrefix + token).utf8)
        var partitions = try await producer.metadata(timeout: .seconds(10)).topicPartitions[topic] ?? 0
        if partitions == 0 {
            // Not there yet (the mock never answers CreateTopics): the first write creates it with its defaults.
            _ = try await producer.withTransaction(consumer: nil, offsets: { [] }) {
                try await producer.submit([ProducerMessage(topic: topic, key: markerKey, value: nil)]).wait()
                    .throwIfFailed()
            }
            partitions = try await producer.metadata(timeout: .seconds(10)).topicPartitions[topic] ?? 1
        }
        let markers = (0..<partitions).map {
            ProducerMessage(topic: topic, key: markerKey, value: nil, partition: Int32($0))
        }
        _ = try await producer.withTransaction(consumer: nil, offsets: { [] }) {
            try await producer.submit(markers).wait().throwIfFailed()
        }
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                kafka: kafka, groupID: "\(group)-restore-\(token)", topics: [topic], clientID: "\(group)-restore",
                isolationLevel: .readCommitted, autoOffsetReset: "earliest"),
            logger: logger)
        let started = ContinuousClock.now
        let expected = partitions
        let (state, records) = try await withThrowingTaskGroup(of: (AlerterState, Int)?.self) { group in
            group.addTask {
                try await consumer.run()
                return nil
            }
            group.addTask {
                var state = AlerterState()
                var seen = Set<Int32>()
                var records = 0
                var iterator = consumer.messages.makeAsyncIterator()
                while seen.count < expected, let batch = try await iterator.nextBatch() {
                    for message in batch {
                        if message.key == markerKey {
                            seen.insert(message.partition)
                            continue
                        }
                        guard let key = message.keyString, !key.hasPrefix(Self.markerPrefix) else { continue }
                        state.apply(changelogKey: key, value: message.value)
                        records += 1
                    }
                }
                guard seen.count >= expected else { throw CancellationError() }
                return (state, records)
            }
            group.addTask { [deadline, topic] in
                try await Task.sleep(for: deadline)
                throw KafkaError(code: .timeout, message: "restoring \(topic) took longer than \(deadline)")
            }
            while let result = try await group.next() {
                if let result {
                    group.cancelAll()
                    return result
                }
            }
            throw CancellationError()
        }
        logger.info(
            "state restored",
            metadata: [
                LogKey.topic: "\(topic)", "records": "\(records)", "subjects": "\(state.subjects.count)",
                "partitions": "\(state.appliedOffsets.count)",
                "duration_ms": "\((ContinuousClock.now - started).components.seconds * 1000)",
            ])
        return state
    }
}
