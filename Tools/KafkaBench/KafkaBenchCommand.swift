import ArgumentParser
import Foundation
import KakusaKafka
import Logging

/// Drives the Kafka layer for `scripts/bench kafka`: produces the lines of a file (KEY<TAB>VALUE) and
/// consumes a topic to a count, printing records per second as `RESULT name records seconds`.
@main
struct KafkaBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-bench", abstract: "Throughput of the Kakusa Kafka layer.",
        subcommands: [Produce.self, Consume.self, LatencyProbe.self])

    struct Produce: AsyncParsableCommand {
        @Option var brokers: String
        @Option var topic: String
        @Option var file: String
        @Option var batch = 10_000
        @Option var window = 8
        @Option(help: "CloudEvents headers on each record, as the ingester writes them (0: none, like kcat -P)")
        var headers = 0
        @Option(name: .customLong("property"), help: "A librdkafka property, KEY=VALUE (repeatable).")
        var properties: [String] = []

        /// The ingester's six headers, with a 32-digit `ce_id` (one a record in the ingester, constant here: the
        /// cost measured is librdkafka's, which copies each header on its own).
        static let cloudEventsHeaders: [(String, String)] = [
            ("ce_specversion", "1.0"), ("ce_id", "0123456789abcdef0123456789abcdef"),
            ("ce_source", "file:///tmp/funding-rounds.ndjson"), ("ce_type", "dev.kakusa.funding-round.v1"),
            ("ce_time", "2026-11-24T03:00:00Z"), ("content-type", "application/json"),
        ]

        func run() async throws {
            let logger = Logger(label: "kafka-bench")
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(
                    kafka: KafkaConfiguration(bootstrapServers: brokers, properties: parseProperties(properties))),
                logger: logger)
            // Timed like `kcat -P`: from reading the file to the last acknowledgement and the close. Options are
            // read into locals because their property wrappers are slow in a hot loop.
            let topic = self.topic
            let batch = self.batch
            let window = self.window
            let headerCount = self.headers
            let start = ContinuousClock.now
            // Read line by line with stdio, as kcat does.
            guard let input = fopen(file, "r") else { throw ValidationError("cannot open \(file)") }
            defer { fclose(input) }
            var pending: [PendingDeliveries] = []
            var messages = ProducerBatch(reservingRecords: batch, bytes: batch * 256)
            var total = 0
            var failures = 0
            var lineBuffer: UnsafeMutablePointer<CChar>?
            var lineCapacity = 0
            defer { free(lineBuffer) }
            while case let length = getline(&lineBuffer, &lineCapacity, input), length > 0 {
                let line = UnsafeRawBufferPointer(start: lineBuffer, count: length - (lineBuffer![length - 1] == 10 ? 1 : 0))
                guard let tab = line.firstIndex(of: 9) else { continue }
                messages.append(
                    topic: topic, key: UnsafeRawBufferPointer(rebasing: line[..<tab]),
                    value: UnsafeRawBufferPointer(rebasing: line[(tab + 1)...]))
                for (key, value) in Self.cloudEventsHeaders.prefix(headerCount) {
                    messages.addHeader(key: key, value: value.utf8)
                }
                if messages.count == batch {
                    pending.append(try await producer.submit(messages))
                    total += messages.count
                    messages.removeAll()
                    if pending.count >= window { failures += await pending.removeFirst().wait().failures.count }
                }
            }
            if !messages.isEmpty {
                pending.append(try await producer.submit(messages))
                total += messages.count
            }
            for p in pending { failures += await p.wait().failures.count }
            try await producer.close()
            let elapsed = ContinuousClock.now - start
            guard failures == 0 else { throw ValidationError("\(failures) records failed") }
            print("RESULT layer-produce \(total) \(elapsed.seconds)")
        }
    }

    struct Consume: AsyncParsableCommand {
        @Option var brokers: String
        @Option var topic: String
        @Option var count: Int
        @Option(name: .customLong("property"), help: "A librdkafka property, KEY=VALUE (repeatable).")
        var properties: [String] = []
        @Flag(help: "Print each pause of more than 30 ms between batches to stderr (how librdkafka's fetch stalls were found).")
        var traceGaps = false

        func run() async throws {
            let logger = Logger(label: "kafka-bench")
            let extra = parseProperties(properties)
            let consumer = try KafkaConsumer(
                configuration: KafkaConsumerConfiguration(
                    kafka: KafkaConfiguration(bootstrapServers: brokers, properties: extra), groupID: "bench-\(UUID().uuidString)",
                    topics: [topic], sessionTimeoutMilliseconds: 6000),
                logger: logger)
            let count = self.count
            let (elapsed, bytes) = try await withThrowingTaskGroup(of: (Duration, Int)?.self) { group in
                group.addTask {
                    try await consumer.run()
                    return nil
                }
                group.addTask {
                    var iterator = consumer.messages.makeAsyncIterator()
                    var seen = 0
                    var bytes = 0
                    var start: ContinuousClock.Instant?
                    var batches = 0
                    let trace = traceGaps
                    var last = ContinuousClock.now
                    defer { FileHandle.standardError.write(Data("batches=\(batches)\n".utf8)) }
                    while seen < count, let batch = try await iterator.nextBatch() {
                        // The clock starts at the first record: joining the mock's group takes ~3 s.
                        if start == nil { start = .now }
                        if trace {
                            let now = ContinuousClock.now
                            if now - last > .milliseconds(30) {
                                FileHandle.standardError.write(Data("pause of \((now - last).seconds) s after \(seen) records\n".utf8))
                            }
                            last = now
                        }
                        seen += batch.count
                        batches += 1
                        for m in batch { bytes += (m.value?.count ?? 0) }
                    }
                    return (ContinuousClock.now - start!, bytes)
                }
                var result: (Duration, Int) = (.zero, 0)
                while let next = try await group.next() {
                    if let next {
                        result = next
                        group.cancelAll()
                    }
                }
                return result
            }
            print("RESULT layer-consume \(count) \(elapsed.seconds) bytes=\(bytes)")
        }
    }
}

/// `KEY=VALUE` options as librdkafka properties (the last of a key wins).
func parseProperties(_ options: [String]) -> [String: String] {
    Dictionary(
        options.compactMap { p in p.firstIndex(of: "=").map { (String(p[..<$0]), String(p[p.index(after: $0)...])) } },
        uniquingKeysWith: { _, last in last })
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
