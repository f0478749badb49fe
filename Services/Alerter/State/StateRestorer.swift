import KakusaEvents
import KakusaKafka
import KakusaService
import Logging

/// Reads the whole changelog back into an `AlerterState` before any input is processed, with the Kafka layer's
/// `KafkaTopicReader` (every partition assigned, read to the end it had when the restore began).
struct StateRestorer {
    var topic: String
    var kafka: KafkaConfiguration
    var deadline: Duration = .seconds(90)
    var logger: Logger

    func restore() async throws -> AlerterState {
        let started = ContinuousClock.now
        let messages = try await KafkaTopicReader(kafka: kafka, timeout: deadline).readAll(topic: topic, logger: logger)
        var state = AlerterState()
        for message in messages {
            guard let key = message.keyString else { continue }
            state.apply(changelogKey: key, value: message.value)
        }
        logger.info(
            "state restored",
            metadata: [
                LogKey.topic: "\(topic)", "records": "\(messages.count)", "subjects": "\(state.subjects.count)",
                "partitions": "\(state.appliedOffsets.count)",
                "duration_ms": "\((ContinuousClock.now - started).components.seconds * 1000)",
            ])
        return state
    }
}
