import Foundation
import KafkaDevBroker
import KakusaKafka
import Logging
import Testing

/// A fresh in-process devbroker for one test, shut down afterwards.
func withDevBroker<T>(
    brokers: Int = 1, topics: [String: Int] = [:], configs: [String: [String: String]] = [:],
    _ body: (DevBroker) async throws -> T
) async throws -> T {
    var options = DevBroker.Options(brokers: brokers)
    options.defaultPartitions = 1
    let broker = try DevBroker(options, logger: brokerLogger)
    defer { broker.shutdown() }
    for (name, partitions) in topics { try broker.createTopic(name, partitions: partitions, config: configs[name] ?? [:]) }
    return try await body(broker)
}

let brokerLogger: Logger = {
    var logger = Logger(label: "devbroker-tests")
    logger.logLevel = ProcessInfo.processInfo.environment["KAKUSA_TEST_LOG"] != nil ? .debug : .critical
    return logger
}()

func producerConfiguration(_ broker: DevBroker, transactionalID: String? = nil) -> KafkaProducerConfiguration {
    KafkaProducerConfiguration(
        kafka: KafkaConfiguration(bootstrapServers: broker.bootstrapServers), transactionalID: transactionalID)
}

func consumerConfiguration(
    _ broker: DevBroker, group: String, topics: [String],
    isolation: KafkaConsumerConfiguration.IsolationLevel = .readCommitted
) -> KafkaConsumerConfiguration {
    KafkaConsumerConfiguration(
        kafka: KafkaConfiguration(bootstrapServers: broker.bootstrapServers), groupID: group, topics: topics,
        isolationLevel: isolation, sessionTimeoutMilliseconds: 6000)
}

func message(_ topic: String, _ i: Int) -> ProducerMessage {
    ProducerMessage(topic: topic, key: "key-\(i)", value: "value-\(i)")
}

/// Runs kcat with `arguments`, feeding `input`, and returns what it printed; fails the test on a non-zero exit.
func kcat(_ arguments: [String], input: String = "", seconds: Double = 30) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/kcat")
    if !FileManager.default.fileExists(atPath: "/usr/bin/kcat") {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/kafkacat")
    }
    process.arguments = arguments
    let stdin = Pipe()
    let stdout = Pipe()
    let stderr = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    let timer = DispatchWorkItem { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: timer)
    defer { timer.cancel() }
    stdin.fileHandleForWriting.write(Data(input.utf8))
    try stdin.fileHandleForWriting.close()
    let out = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let err = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    guard process.terminationStatus == 0 else {
        throw KcatFailed(status: process.terminationStatus, stderr: err)
    }
    return String(decoding: out, as: UTF8.self)
}

struct KcatFailed: Error, CustomStringConvertible {
    let status: Int32
    let stderr: String
    var description: String { "kcat exited \(status): \(stderr)" }
}

/// Runs a Python script (with confluent-kafka and aiokafka in the project's venv) and returns its stdout;
/// fails the test when it exits non-zero.
func python(_ script: String, _ arguments: String..., seconds: Double = 60) throws -> String {
    let environment = ProcessInfo.processInfo.environment
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let interpreter = environment["KAKUSA_PYTHON"] ?? root.appendingPathComponent(".venv/bin/python").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: interpreter)
    process.arguments = ["-c", script] + arguments
    let stdout = Pipe()
    let stderr = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let timer = DispatchWorkItem { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: timer)
    let out = stdout.fileHandleForReading.readDataToEndOfFile()
    let err = stderr.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    timer.cancel()
    guard process.terminationStatus == 0 else {
        throw PythonFailed(status: process.terminationStatus, stderr: String(decoding: err, as: UTF8.self))
    }
    return String(decoding: out, as: UTF8.self)
}

struct PythonFailed: Error, CustomStringConvertible {
    let status: Int32
    let stderr: String
    var description: String { "python exited \(status): \(stderr)" }
}
