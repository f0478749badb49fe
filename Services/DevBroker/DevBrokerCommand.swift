import ArgumentParser
import Dispatch
import Foundation
import KakusaEvents
import KakusaKafka
import Logging

/// Hosts librdkafka's mock cluster on loopback: a real Kafka wire-protocol broker in memory, for the
/// demo and the tests. Prints the bootstrap list as its first line on stdout and runs until SIGTERM or
/// SIGINT. Commands on stdin (one per line) control it, for fault tests: `down N`, `up N`,
/// `errors API_KEY ERROR_CODE COUNT`.
@main
struct DevBrokerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devbroker",
        abstract: "Run an in-memory Kafka broker (librdkafka's mock cluster) on loopback.")

    @Option(help: "Number of brokers in the cluster.")
    var brokers = 1

    @Option(help: "Partitions of every Kakusa topic it creates.")
    var partitions = 4

    @Option(help: "Also write the bootstrap list to this file.")
    var bootstrapFile: String?

    @Option(help: "Prefix of the Kakusa topics (KAKUSA_TOPIC_PREFIX).")
    var topicPrefix = ProcessInfo.processInfo.environment["KAKUSA_TOPIC_PREFIX"] ?? Topics.defaultPrefix

    @Option(name: .customLong("topic"), help: "An extra topic as NAME or NAME:PARTITIONS (repeatable).")
    var extraTopics: [String] = []

    func run() throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "devbroker")
        logger.logLevel = .info
        let cluster = try MockCluster(brokers: brokers, logger: logger)
        for spec in Topics(prefix: topicPrefix).all + Topics(prefix: topicPrefix).internalAll {
            try cluster.createTopic(spec.name, partitions: partitions)
        }
        for extra in extraTopics {
            let parts = extra.split(separator: ":", maxSplits: 1)
            let count = parts.count == 2 ? Int(parts[1]) : partitions
            guard let count, count > 0, let name = parts.first, !name.isEmpty else {
                throw ValidationError("--topic \(extra): expected NAME or NAME:PARTITIONS")
            }
            try cluster.createTopic(String(name), partitions: count)
        }
        if let bootstrapFile {
            try (cluster.bootstrapServers + "\n").write(toFile: bootstrapFile, atomically: true, encoding: .utf8)
        }
        FileHandle.standardOutput.write(Data((cluster.bootstrapServers + "\n").utf8))
        logger.info("devbroker ready", metadata: ["bootstrap": "\(cluster.bootstrapServers)", "brokers": "\(brokers)"])

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
        let control = Thread { Self.readCommands(cluster: cluster, logger: controlLogger) }
        control.start()
        stop.wait()
        logger.info("devbroker stopping")
        withExtendedLifetime((cluster, sources)) {}
    }

    /// Fault controls, one command a line; EOF (stdin closed or /dev/null) just ends the reader.
    static func readCommands(cluster: MockCluster, logger: Logger) {
        while let line = readLine() {
            let words = line.split(separator: " ").map(String.init)
            switch (words.first, words.count) {
            case ("down", 2), ("up", 2):
                guard let id = Int32(words[1]) else { break }
                cluster.setBroker(id, up: words[0] == "up")
                logger.info("broker state changed", metadata: ["broker": "\(id)", "state": "\(words[0])"])
                continue
            case ("errors", 4):
                guard let api = Int16(words[1]), let code = Int32(words[2]), let count = Int(words[3]) else { break }
                cluster.pushRequestErrors(apiKey: api, error: code, count: count)
                logger.info("request errors queued", metadata: ["api": "\(api)", "error": "\(code)", "count": "\(count)"])
                continue
            default:
                break
            }
            logger.warning("unknown control command (use: down N | up N | errors API_KEY CODE COUNT)", metadata: ["line": "\(line)"])
        }
    }
}
