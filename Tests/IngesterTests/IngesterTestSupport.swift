import KakusaTestSupport
import Foundation
import KakusaEvents
import KakusaKafka
import Logging
import Testing

@testable import Ingester

let testLogger: Logger = {
    var logger = Logger(label: "ingester-tests")
    logger.logLevel = ProcessInfo.processInfo.environment["KAKUSA_TEST_LOG"] != nil ? .debug : .critical
    return logger
}()

/// A fresh in-memory broker with every Kakusa topic.
func withBroker<T>(_ body: (EmbeddedKafka) async throws -> T) async throws -> T {
    let cluster = try EmbeddedKafka(brokers: 1, logger: testLogger)
    for spec in Topics().all { try cluster.createTopic(spec.name, partitions: 3) }
    return try await body(cluster)
}

/// A temporary directory holding `files` (name → bytes), removed afterwards.
func withFiles<T>(_ files: [String: [UInt8]], _ body: (URL) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ingester-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    for (name, bytes) in files {
        try Data(bytes).write(to: directory.appendingPathComponent(name))
    }
    return try await body(directory)
}

/// Runs `ingester publish` in-process; returns its status and what it wrote to stderr.
func publish(
    _ paths: [String], kind: InputKind? = nil, brokers: String
) async -> (status: PublishRun.Status, stderr: CapturedDiagnostics) {
    let captured = CapturedDiagnostics()
    let run = PublishRun(
        files: paths, kind: kind, kafka: KafkaConfiguration(bootstrapServers: brokers), topics: Topics(),
        diagnostics: captured.diagnostics, logger: testLogger, messageTimeoutMilliseconds: 10_000)
    return (await run.run(), captured)
}

struct TimedOut: Error {}

/// Reads `topics` from the start until `count` records arrived (or fails after `seconds`).
func consume(_ cluster: EmbeddedKafka, topics: [String], count: Int, seconds: Double = 40) async throws -> [KafkaMessage] {
    let consumer = try KafkaConsumer(
        configuration: KafkaConsumerConfiguration(
            kafka: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers), groupID: "test-\(UUID())",
            topics: topics, sessionTimeoutMilliseconds: 6000),
        logger: testLogger)
    return try await withThrowingTaskGroup(of: [KafkaMessage]?.self) { group in
        group.addTask {
            try await consumer.run()
            return nil
        }
        group.addTask {
            var received: [KafkaMessage] = []
            var iterator = consumer.messages.makeAsyncIterator()
            while received.count < count, let batch = try await iterator.nextBatch() {
                received += batch
            }
            return received
        }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw TimedOut()
        }
        while let next = try await group.next() {
            if let messages = next {
                group.cancelAll()
                return messages
            }
        }
        throw TimedOut()
    }
}

extension KafkaMessage {
    var text: String { String(decoding: value ?? [], as: UTF8.self) }
    var keyText: String? { key.map { String(decoding: $0, as: UTF8.self) } }
}

/// A valid funding round as one NDJSON line.
func fundingLine(_ company: String, amount: Double = 1_000_000_000, currency: String = "USD",
                 date: String = "2025-01-20") -> String {
    #"{"company":"\#(company)","country":"CN","valuation":{"amount":\#(amount),"currency":"\#(currency)"},"#
        + #""investors":["Alibaba","Tencent"],"announced_on":"\#(date)"}"#
}
