import CRdKafka
import Logging

/// Topics a service needs, created at start if they are missing.
public struct TopicRequest: Sendable, Hashable {
    public var name: String
    public var partitions: Int
    /// `cleanup.policy=compact`: the topic keeps the latest record per key (changelogs, latest-value views).
    public var compacted: Bool

    public init(name: String, partitions: Int, compacted: Bool = false) {
        self.name = name
        self.partitions = partitions
        self.compacted = compacted
    }
}

/// Creates topics idempotently. Asks the cluster's metadata first and requests only what is missing;
/// a broker that never answers CreateTopics (librdkafka's mock cluster) costs at most `timeout`, then
/// the caller goes on: a missing topic shows up as a produce or subscribe error, never as a hang.
public enum KafkaAdmin {
    public struct Outcome: Sendable {
        public var existing: [String] = []
        public var created: [String] = []
        public var unanswered: [String] = []
    }

    public static func ensureTopics(
        _ topics: [TopicRequest], configuration: KafkaConfiguration, logger: Logger, timeout: Duration = .seconds(5)
    ) async throws -> Outcome {
        var properties = configuration.properties.filter { !consumerOnly.contains($0.key) && !producerOnly.contains($0.key) }
        properties["bootstrap.servers"] = configuration.bootstrapServers
        let client = try RDKafkaClient(kind: .producer, properties: properties, logger: logger)
        let ms = Int32(clamping: max(timeout.components.seconds * 1000, 500))
        let outcome = try await client.blocking.run { () -> Outcome in
            defer { client.destroy() }
            let metadata = try client.metadata(timeoutMilliseconds: ms)
            var outcome = Outcome()
            let missing = topics.filter { metadata.topicPartitions[$0.name] == nil }
            outcome.existing = topics.map(\.name).filter { metadata.topicPartitions[$0] != nil }
            guard !missing.isEmpty else { return outcome }
            try create(missing, client: client, timeoutMilliseconds: ms, outcome: &outcome)
            return outcome
        }
        logger.info(
            "topics checked",
            metadata: ["existing": "\(outcome.existing.count)", "created": "\(outcome.created)", "unanswered": "\(outcome.unanswered)"])
        return outcome
    }

    private static func create(
        _ topics: [TopicRequest], client: RDKafkaClient, timeoutMilliseconds: Int32, outcome: inout Outcome
    ) throws {
        var errstr = [CChar](repeating: 0, count: 512)
        var newTopics: [OpaquePointer?] = []
        defer { for t in newTopics { rd_kafka_NewTopic_destroy(t) } }
        for topic in topics {
            guard let nt = rd_kafka_NewTopic_new(topic.name, Int32(topic.partitions), -1, &errstr, errstr.count) else {
                throw KafkaError(code: .configuration, message: "topic \(topic.name): \(errstr.string)")
            }
            if topic.compacted { rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact") }
            newTopics.append(nt)
        }
        let queue = rd_kafka_queue_new(client.handle)
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(client.handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        rd_kafka_AdminOptions_set_request_timeout(options, timeoutMilliseconds, &errstr, errstr.count)
        rd_kafka_AdminOptions_set_operation_timeout(options, timeoutMilliseconds, &errstr, errstr.count)
        newTopics.withUnsafeMutableBufferPointer { rd_kafka_CreateTopics(client.handle, $0.baseAddress, $0.count, options, queue) }

        guard let event = rd_kafka_queue_poll(queue, timeoutMilliseconds + 1000) else {
            outcome.unanswered = topics.map(\.name)
            return
        }
        defer { rd_kafka_event_destroy(event) }
        let eventError = rd_kafka_event_error(event)
        if eventError == RD_KAFKA_RESP_ERR__TIMED_OUT || eventError == RD_KAFKA_RESP_ERR__TRANSPORT {
            outcome.unanswered = topics.map(\.name)
            return
        }
        guard let result = rd_kafka_event_CreateTopics_result(event) else {
            throw KafkaError.rdKafka(eventError, context: "create topics")
        }
        var count = 0
        let results = rd_kafka_CreateTopics_result_topics(result, &count)
        for i in 0..<count {
            let r = results![i]
            let name = String(cString: rd_kafka_topic_result_name(r))
            let err = rd_kafka_topic_result_error(r)
            switch err {
            case RD_KAFKA_RESP_ERR_NO_ERROR: outcome.created.append(name)
            case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS: outcome.existing.append(name)
            case RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT: outcome.unanswered.append(name)
            default: throw KafkaError.rdKafka(err, context: "create topic \(name)")
            }
        }
    }
}
