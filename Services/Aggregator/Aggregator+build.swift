import Hummingbird
import KakusaEvents
import KakusaKafka
import KakusaService
import Logging
import ServiceLifecycle

/// The aggregator's parts: its Kafka clients, its loop and the state view its query API reads.
struct Aggregator {
    let consumer: KafkaConsumer
    let producer: KafkaProducer
    let service: AggregatorService
    let view: StateView

    init(settings: AggregatorSettings, readiness: Readiness, logger: Logger) throws {
        consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                kafka: settings.kafka, groupID: settings.groupID, topics: settings.inputTopics,
                clientID: "kakusa-aggregator", isolationLevel: .readCommitted,
                sessionTimeoutMilliseconds: settings.sessionTimeoutMilliseconds, maxBatchSize: settings.maxBatchSize),
            logger: logger)
        producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                kafka: settings.kafka, clientID: "kakusa-aggregator", transactionalID: settings.transactionalID,
                // Each batch waits for its records' acknowledgements before committing: lingering only adds latency.
                lingerMilliseconds: 0),
            logger: logger)
        view = StateView()
        service = AggregatorService(
            settings: settings, consumer: consumer, producer: producer, view: view, readiness: readiness,
            logger: logger)
    }

    /// In start order: the consumer first (it stops last, after the loop committed its batch), then the producer.
    var services: [any Service] { [consumer, producer, service] }
}

/// Wires the aggregator: its readiness check, its Kafka clients and loop, and its query routes.
///
/// Kept apart from the command so that a test can build the same process without parsing arguments.
func buildApplication(configuration: ServiceConfiguration, logger: Logger) throws -> ServiceProcess<some ApplicationProtocol> {
    let readiness = Readiness()
    readiness.set(AggregatorService.readinessCheck, ready: false, reason: "starting")
    let settings = try AggregatorSettings(configuration: configuration)
    let aggregator = try Aggregator(settings: settings, readiness: readiness, logger: logger)
    let http = HTTPApplicationBuilder(configuration: configuration, readiness: readiness, logger: logger)
    QueryRoutes.add(to: http.router, view: aggregator.view)
    let probe = KafkaProbe(
        producer: aggregator.producer, readiness: readiness, brokers: configuration.kafka.bootstrapServers,
        logger: logger)
    return ServiceProcess(
        configuration: configuration, services: aggregator.services + [probe], http: http.build(), logger: logger)
}
