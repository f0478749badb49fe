import Hummingbird
import KakusaEvents
import KakusaKafka
import KakusaService
import Logging

/// Wires the ingester: its producer, the `kafka` readiness probe and the HTTP ingest API.
///
/// Kept apart from the command so that a test can build the same process without parsing arguments.
func buildApplication(
    configuration: ServiceConfiguration, logger: Logger
) throws -> ServiceProcess<some ApplicationProtocol> {
    let readiness = Readiness()
    let producer = try KafkaProducer(
        configuration: KafkaProducerConfiguration(
            kafka: configuration.kafka, clientID: "kakusa-ingester",
            // A request waits for its records' acknowledgement: 1 ms still lets concurrent requests share a batch.
            lingerMilliseconds: 1, messageTimeoutMilliseconds: 10_000),
        logger: logger)
    let probe = KafkaProbe(
        producer: producer, readiness: readiness, brokers: configuration.kafka.bootstrapServers, logger: logger)
    let maxBody = try configuration.value(.maxBodyBytes, expected: "a byte count > 0") {
        Int($0).flatMap { $0 > 0 ? $0 : nil }
    }
    let api = IngestAPI(
        producer: producer, readiness: readiness, topics: Topics(prefix: configuration.topicPrefix),
        maxBodyBytes: maxBody, logger: logger)
    let http = HTTPApplicationBuilder(configuration: configuration, readiness: readiness, logger: logger)
    api.register(on: http.router)
    // Started in this order, stopped in reverse: HTTP first, then the probe, then the producer flushes.
    return ServiceProcess(
        configuration: configuration, services: [producer, probe], http: http.build(), logger: logger)
}
