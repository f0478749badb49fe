import CRdKafka
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// librdkafka's mock cluster: a real Kafka wire-protocol broker, in memory, on loopback. For demos and
/// tests (it keeps at most 5 MiB per partition); the `devbroker` executable and the tests host it.
///
/// The 2.0.2 mock does not answer Admin CreateTopics and auto-creates unknown topics with 4 partitions,
/// so topics are created here, with `createTopic`, before clients connect.
public final class MockCluster: @unchecked Sendable {
    private let client: RDKafkaClient
    private let cluster: OpaquePointer
    /// `127.0.0.1:PORT,…`, the bootstrap list to give clients.
    public let bootstrapServers: String
    public let brokerCount: Int

    public init(brokers: Int = 1, logger: Logger) throws {
        // The mock lives inside a client handle; this one is otherwise unused.
        client = try RDKafkaClient(kind: .producer, properties: ["log.connection.close": "false"], logger: logger)
        guard let cluster = rd_kafka_mock_cluster_new(client.handle, Int32(brokers)) else {
            throw KafkaError(code: .configuration, message: "could not start the mock cluster")
        }
        self.cluster = cluster
        self.brokerCount = brokers
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
        Self.disableNagle(ports: Self.ports(of: bootstrapServers))
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        client.destroy()
    }

    /// Creates a topic (no-op if it exists with the same partitions).
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws {
        let err = rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(min(replicationFactor, brokerCount)))
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.rdKafka(err, context: "create mock topic \(name)")
        }
    }

    /// Takes broker `id` (1-based) down or up: its connections are closed and new ones refused.
    public func setBroker(_ id: Int32, up: Bool) {
        if up { rd_kafka_mock_broker_set_up(cluster, id) } else { rd_kafka_mock_broker_set_down(cluster, id) }
        // Taking a broker down replaces its listening socket.
        Self.disableNagle(ports: Self.ports(of: bootstrapServers))
    }

    /// Makes the next `count` requests of `apiKey` (Kafka's API key, e.g. 0 = Produce) fail with `error`.
    public func pushRequestErrors(apiKey: Int16, error: Int32, count: Int) {
        let errors = [rd_kafka_resp_err_t](repeating: rd_kafka_resp_err_t(rawValue: error), count: count)
        errors.withUnsafeBufferPointer {
            rd_kafka_mock_push_request_errors_array(cluster, apiKey, $0.count, $0.baseAddress)
        }
    }

    /// Sets TCP_NODELAY on the mock's listening sockets (found among this process's descriptors by port), so that
    /// the connections it accepts inherit it (Linux does). The mock does not set it itself: a response written
    /// while the previous one is unacknowledged then waits for the client's delayed ACK, about 40 ms on Linux —
    /// most of the time of a small transaction on the devbroker.
    static func disableNagle(ports: Set<UInt16>) {
        #if os(Linux)
        guard let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for name in descriptors {
            guard let fd = Int32(name) else { continue }
            var listening: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) == 0, listening == 1 else { continue }
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            guard named == 0, address.sin_family == sa_family_t(AF_INET),
                ports.contains(UInt16(bigEndian: address.sin_port))
            else { continue }
            var on: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        #endif
    }

    /// The ports of a `host:port,host:port` list.
    static func ports(of bootstrap: String) -> Set<UInt16> {
        Set(bootstrap.split(separator: ",").compactMap { $0.split(separator: ":").last.flatMap { UInt16($0) } })
    }
}
