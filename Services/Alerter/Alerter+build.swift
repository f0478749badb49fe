import Foundation
import Hummingbird
import KakusaEvents
import KakusaKafka
import KakusaService
import Logging

/// Wires the alerter: the rule consumer and its transactional producer, the webhook delivery (its own group),
/// readiness, and the HTTP routes (`/health`, `/metrics`, `GET /v1/alerts`).
///
/// Kept apart from the command so that a test can build the same process without parsing arguments.
func buildApplication(
    configuration: ServiceConfiguration, rules: RuleSet, logger: Logger, history: AlertHistory = AlertHistory()
) throws -> ServiceProcess<some ApplicationProtocol> {
    let topics = Topics(prefix: configuration.topicPrefix)
    let group = configuration.value(.alerterGroup) ?? "kakusa-alerter"
    let readiness = Readiness()
    let consumer = try KafkaConsumer(
        configuration: KafkaConsumerConfiguration(
            kafka: configuration.kafka, groupID: group, topics: rules.watchedTopics.map(topics.name),
            clientID: "kakusa-alerter", isolationLevel: .readCommitted),
        logger: logger)
    let producer = try KafkaProducer(
        configuration: KafkaProducerConfiguration(
            kafka: configuration.kafka, clientID: "kakusa-alerter", transactionalID: "\(group)-rules",
            // Each batch waits for its records' acknowledgements before committing: lingering only adds latency.
            lingerMilliseconds: 0),
        logger: logger)
    let processor = AlertProcessor(
        rules: rules, topics: topics, kafka: configuration.kafka, group: group, consumer: consumer,
        producer: producer, readiness: readiness, history: history, logger: logger)

    let http = HTTPApplicationBuilder(configuration: configuration, readiness: readiness, logger: logger)
    http.router.get("/v1/alerts") { request, _ in
        let query = request.uri.queryParameters
        let limit = query.get("limit").flatMap { Int($0) }.map { min(max($0, 0), history.capacity) } ?? 100
        let alerts = history.recent(
            rule: query.get("rule").map { String($0) }, subject: query.get("subject").map { String($0) },
            limit: limit)
        let body = try KakusaJSON.encode(["alerts": alerts])
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
    let probe = KafkaProbe(
        producer: producer, readiness: readiness, brokers: configuration.kafka.bootstrapServers, logger: logger)
    var process = ServiceProcess(configuration: configuration, http: http.build(), logger: logger)
    process.addServices(producer, probe, consumer, processor)

    let webhooks = try rules.webhooks.map {
        try WebhookSink(configuration: $0, environment: configuration.environment, logger: logger)
    }
    if !webhooks.isEmpty {
        let deliveryConsumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                kafka: configuration.kafka, groupID: "\(group)-webhook", topics: [topics.alerts],
                clientID: "kakusa-alerter-webhook", isolationLevel: .readCommitted, maxBatchSize: 100),
            logger: logger)
        let deadLetterProducer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(kafka: configuration.kafka, clientID: "kakusa-alerter-webhook"),
            logger: logger)
        let delivery = WebhookDelivery(
            sinks: webhooks, topics: topics, consumer: deliveryConsumer, producer: deadLetterProducer, logger: logger)
        process.addServices(deadLetterProducer, deliveryConsumer, delivery)
    }
    return process
}
