import Foundation
import KakusaEvents
import KakusaKafka
import KakusaService
import Logging
import ServiceLifecycle

/// Delivers `alerts` to the webhooks with its own consumer group, so a slow or dead receiver never stalls the
/// rules. Commits after each batch is delivered (or dead-lettered): at-least-once; receivers de-duplicate on
/// `webhook-id`, the alert id.
final class WebhookDelivery: Service, @unchecked Sendable {
    let sinks: [WebhookSink]
    let topics: Topics
    let consumer: KafkaConsumer
    let producer: KafkaProducer
    let logger: Logger

    init(sinks: [WebhookSink], topics: Topics, consumer: KafkaConsumer, producer: KafkaProducer, logger: Logger) {
        self.sinks = sinks
        self.topics = topics
        self.consumer = consumer
        self.producer = producer
        self.logger = logger
    }

    func run() async throws {
        while true {
            let batch: [KafkaMessage]?
            do {
                batch = try await cancelWhenGracefulShutdown { [consumer] in
                    var iterator = consumer.messages.makeAsyncIterator()
                    return try await iterator.nextBatch()
                }
            } catch is CancellationError {
                break
            }
            guard let batch else { break }
            for message in batch { try await deliver(message) }
            try await consumer.commit(batch.nextOffsets)
        }
    }

    func deliver(_ message: KafkaMessage) async throws {
        guard let value = message.value, let alert = try? KakusaJSON.decode(Alert.self, from: value) else {
            logger.warning(
                "unreadable alert skipped",
                metadata: [LogKey.partition: "\(message.partition)", LogKey.offset: "\(message.offset)"])
            return
        }
        let results = await withTaskGroup(of: WebhookSink.Result.self) { group in
            for sink in sinks { group.addTask { await sink.deliver(alert) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        // Shutting down mid-retry is not a failure: leave the alert uncommitted for the next start.
        try Task.checkCancellation()
        for case .failed(let reason, let attempts) in results {
            AlerterMetrics.webhookFailure()
            logger.error(
                "webhook delivery failed, alert sent to dead letters",
                metadata: ["alert_id": "\(alert.id)", LogKey.reason: "\(reason)", "attempts": "\(attempts)"])
            let headers = DeadLetterHeaders(
                errorCode: "webhook_failed", errorMessage: reason, originalTopic: message.topic,
                originalPartition: Int(message.partition), originalOffset: message.offset, service: "alerter",
                time: RFC3339.string(from: Date()))
            _ = try await producer.send(
                ProducerMessage(
                    topic: topics.deadLetters, key: message.key, value: message.value,
                    headers: headers.headers.map { KafkaHeader(key: $0.key, value: $0.value) }))
        }
    }
}
