import ArgumentParser
import Dispatch
import Foundation
import KafkaDevBroker
import KakusaEvents
import Logging

/// Runs Kakusa's embedded Kafka broker on loopback, for the demo, the tests and a laptop. Prints the bootstrap
/// list as its first line on stdout and runs until SIGTERM or SIGINT; fault controls come on stdin.
@main
struct DevBrokerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devbroker",
        abstract: "Run an embedded Kafka broker on loopback (for development and tests, not production).",
        discussion: "Fault controls, one a line on stdin:\n" + ControlCommands.usage)

    @Option(help: "Number of brokers in the cluster, each its own listener and broker id.")
    var brokers = 1

    @Option(help: "Partitions of every Kakusa topic it creates (and of topics created with -1).")
    var partitions = 4

    @Option(help: "Broker i listens on BASE+i-1 (default: free ports).")
    var port: Int?

    @Option(help: "Also write the bootstrap list to this file.")
    var bootstrapFile: String?

    @Option(help: "Prefix of the Kakusa topics (KAKUSA_TOPIC_PREFIX).")
    var topicPrefix = ProcessInfo.processInfo.environment["KAKUSA_TOPIC_PREFIX"] ?? Topics.defaultPrefix

    @Option(name: .customLong("topic"), help: "An extra topic as NAME or NAME:PARTITIONS (repeatable).")
    var extraTopics: [String] = []

    @Option(help: "Refuse produces once this many bytes are stored (suffixes K, M, G).")
    var maxMemory: String?

    @Option(help: "Keep topics, records, committed offsets and transactions in this directory across restarts.")
    var dataDir: String?

    @Option(help: "Turn SASL (PLAIN, SCRAM-SHA-256) on with the users of this file, one user:password a line.")
    var saslUsers: String?

    func validate() throws {
        guard brokers >= 1 && brokers <= 64 else { throw ValidationError("--brokers must be between 1 and 64") }
        guard partitions >= 1 else { throw ValidationError("--partitions must be at least 1") }
        if let port, port <= 0 || port + brokers - 1 > 65535 {
            throw ValidationError("--port \(port): broker ports must lie between 1 and 65535")
        }
        if let maxMemory, Self.bytes(maxMemory) == nil {
            throw ValidationError("--max-memory \(maxMemory): expected a number of bytes such as 512M")
        }
    }

    func run() throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "devbroker")
        logger.logLevel = ProcessInfo.processInfo.environment["KAKUSA_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info

        var options = DevBroker.Options(brokers: brokers, basePort: port)
        options.defaultPartitions = partitions
        options.maxMemory = maxMemory.flatMap(Self.bytes)
        options.dataDirectory = dataDir
        if let saslUsers { options.saslUsers = try SaslUsersFile.read(saslUsers) }
        let broker = try DevBroker(options, logger: logger)
        let topics = Topics(prefix: topicPrefix, partitions: partitions)
        for spec in topics.all + topics.internalAll {
            try createIfMissing(broker, spec.name, partitions, spec.compacted ? ["cleanup.policy": "compact"] : [:])
        }
        for extra in extraTopics {
            let parts = extra.split(separator: ":", maxSplits: 1)
            let count = parts.count == 2 ? Int(parts[1]) : partitions
            guard let count, count > 0, let name = parts.first, !name.isEmpty else {
                throw ValidationError("--topic \(extra): expected NAME or NAME:PARTITIONS")
            }
            try createIfMissing(broker, String(name), count, [:])
        }
        if let bootstrapFile {
            try (broker.bootstrapServers + "\n").write(toFile: bootstrapFile, atomically: true, encoding: .utf8)
        }
        FileHandle.standardOutput.write(Data((broker.bootstrapServers + "\n").utf8))
        logger.info("devbroker ready", metadata: ["bootstrap": "\(broker.bootstrapServers)", "brokers": "\(brokers)"])

        let stop = DispatchSemaphore(value: 0)
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            sources.append(source)
        }
        let controlLogger = logger
        let control = Thread { ControlCommands.run(broker, logger: controlLogger) }
        control.start()
        stop.wait()
        logger.info("devbroker stopping")
        broker.shutdown()
        withExtendedLifetime(sources) {}
    }

    /// A restart on a data directory finds its topics already there.
    private func createIfMissing(_ broker: DevBroker, _ name: String, _ count: Int, _ config: [String: String]) throws {
        do {
            try broker.createTopic(name, partitions: count, config: config)
        } catch Cluster.CreateError.exists {
        }
    }

    static func bytes(_ text: String) -> Int? {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        if let last = text.uppercased().last, let unit = units[last] {
            return Int(text.dropLast()).flatMap { $0 > 0 ? $0 * unit : nil }
        }
        return Int(text).flatMap { $0 > 0 ? $0 : nil }
    }
}
