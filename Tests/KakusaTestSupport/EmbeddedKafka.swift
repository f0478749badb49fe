import KafkaDevBroker
import Logging

/// The devbroker's cluster started in-process for one test, shut down when the test lets go of it.
public final class EmbeddedKafka: Sendable {
    public let broker: DevBroker

    public init(brokers: Int = 1, logger: Logger) throws {
        broker = try DevBroker(DevBroker.Options(brokers: brokers), logger: logger)
    }

    deinit { broker.shutdown() }

    /// `127.0.0.1:PORT,…`, the bootstrap list to give clients.
    public var bootstrapServers: String { broker.bootstrapServers }

    public func createTopic(_ name: String, partitions: Int, config: [String: String] = [:]) throws {
        try broker.createTopic(name, partitions: partitions, config: config)
    }

    /// Takes broker `id` (1-based) down or up: its connections are closed and new ones refused.
    public func setBroker(_ id: Int32, up: Bool) throws {
        try broker.setBroker(id, up: up)
    }

    /// Makes the next `count` requests of `apiKey` (Kafka's API key, e.g. 0 = Produce) fail with `error`.
    public func pushRequestErrors(apiKey: Int16, error: Int16, count: Int) {
        broker.cluster.injectErrors(api: apiKey, code: error, count: count)
    }
}
