import Logging
import NIOCore
import NIOPosix

/// An embedded Kafka cluster on loopback for the demo and the tests: `brokers` listeners, each its own broker
/// id, serving Kafka's wire protocol from in-memory logs.
public final class DevBroker: Sendable {
    public struct Options: Sendable {
        public var brokers = 1
        /// Broker i listens on `basePort + i - 1`; nil picks free ports.
        public var basePort: Int?
        public var host = "127.0.0.1"
        /// Past this many stored bytes, produces are refused.
        public var maxMemory: Int?
        /// SASL users (PLAIN and SCRAM-SHA-256) and their passwords; nil leaves SASL off.
        public var saslUsers: [String: String]?
        /// Partitions of a topic created with -1.
        public var defaultPartitions = 1
        /// Where topics, batches, committed offsets and transactions are kept (`--data-dir`); nil keeps them in
        /// memory only. A directory of another format version is refused (init throws DataDirectoryError).
        public var dataDirectory: String?
        /// How often the compactor looks for partitions to clean (Kafka's `log.cleaner.backoff.ms`, 15 s).
        public var cleanerIntervalMilliseconds: Int64 = 15_000

        public init(brokers: Int = 1, basePort: Int? = nil) {
            self.brokers = brokers
            self.basePort = basePort
        }
    }

    public let cluster: Cluster
    private let servers: [BrokerServer]
    private let group: MultiThreadedEventLoopGroup
    /// The compactor's timer and the coordinators' periodic checkpoint.
    private let background: Task<Void, Never>

    public init(_ options: Options = Options(), logger: Logger) throws {
        precondition(options.brokers >= 1, "a cluster needs a broker")
        group = MultiThreadedEventLoopGroup(numberOfThreads: min(System.coreCount, 4))
        let placeholders = (1...options.brokers).map {
            Cluster.Broker(id: Int32($0), host: options.host, port: 0)
        }
        cluster = Cluster(
            brokers: placeholders, maxMemory: options.maxMemory, saslUsers: options.saslUsers, logger: logger)
        cluster.defaultPartitions = options.defaultPartitions
        var servers: [BrokerServer] = []
        do {
            if let path = options.dataDirectory {
                let directory = try DataDirectory(path: path, logger: logger)
                cluster.dataDirectory = directory
                try directory.load(into: cluster, timersOn: group.next())
            }
            for i in 1...options.brokers {
                let server = BrokerServer(
                    id: Int32(i), host: options.host, port: options.basePort.map { $0 + i - 1 } ?? 0, cluster: cluster,
                    group: group)
                try server.start()
                servers.append(server)
                cluster.updateBroker(Int32(i)) { $0.port = server.port }
            }
        } catch {
            for s in servers { s.stop() }
            try? group.syncShutdownGracefully()
            throw error
        }
        self.servers = servers
        background = Task.detached { [cluster] in
            let tick = max(min(options.cleanerIntervalMilliseconds, 1000), 10)
            var sinceClean: Int64 = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(tick))
                if Task.isCancelled { break }
                cluster.checkpointCoordinators()  // what timers changed (expired transactions)
                sinceClean += tick
                if sinceClean >= options.cleanerIntervalMilliseconds {
                    sinceClean = 0
                    cluster.compactNow()
                }
            }
        }
    }

    /// `127.0.0.1:PORT,…`, the bootstrap list to give clients.
    public var bootstrapServers: String {
        servers.map { "\($0.host):\($0.port)" }.joined(separator: ",")
    }

    public func createTopic(_ name: String, partitions: Int, config: [String: String] = [:]) throws {
        try cluster.createTopic(name, partitions: partitions, config: config)
    }

    /// Takes broker `id` down (its listener and connections close; leadership fails over) or up again.
    public func setBroker(_ id: Int32, up: Bool) throws {
        guard let server = servers.first(where: { $0.id == id }) else { return }
        if up {
            if !server.isListening { try server.start() }
            cluster.updateBroker(id) { $0.up = true }
        } else {
            cluster.updateBroker(id) { $0.up = false }
            server.stop()
        }
    }

    public func shutdown() {
        background.cancel()
        for s in servers { s.stop() }
        try? group.syncShutdownGracefully()
        cluster.checkpointCoordinators()
        cluster.dataDirectory?.close(cluster)
    }
}
