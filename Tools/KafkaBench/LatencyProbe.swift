import ArgumentParser
import Foundation
import KakusaKafka
import Logging
import Synchronization

/// `kafka-bench latency`: where the time of one consume → transaction → consume hop goes, on any broker.
///
/// A plain producer sends one record every `--interval-ms` to an input topic (timing its acknowledgement);
/// a group consumer reads it; a transactional producer writes it to an output topic in a transaction of its own
/// (begin, send + ack, send offsets, commit: each timed); a second consumer reads the output (read_committed).
/// Prints p50/p99/max of every step in milliseconds. `--linger-ms` and `--fetch-wait-ms` set linger.ms and
/// fetch.wait.max.ms; any other librdkafka property comes from KAFKA_* as usual.
struct LatencyProbe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency", abstract: "Time the steps of one exactly-once hop (produce, consume, transaction).")

    @Option var brokers: String
    @Option(help: "records timed") var count = 200
    @Option(help: "milliseconds between records") var intervalMs = 20
    @Option(help: "linger.ms of both producers") var lingerMs = 5
    @Option(help: "fetch.wait.max.ms of both consumers (librdkafka's default: 500)") var fetchWaitMs: Int?
    @Option(help: "librdkafka debug contexts of the transactional producer only (with --verbose)")
    var txnDebug: String?
    @Flag(help: "like the aggregator: once the outputs are acknowledged, also write a changelog to a second topic")
    var changelog = false
    @Flag(help: "send the offsets while the records are in flight (the commit waits for them)") var overlap = false
    @Flag(help: "log at debug level (with KAFKA_DEBUG=eos,msg: librdkafka's own timeline)") var verbose = false
    @Option(
        help: ArgumentHelp(
            "topics probe-in-ID, probe-out-ID, probe-state-ID (default: a random ID; a broker that does not "
                + "auto-create topics needs them made first)"))
    var runId: String?

    func run() async throws {
        var logger = Logger(label: "kafka-bench")
        logger.logLevel = verbose ? .debug : .warning
        var kafka = KafkaConfiguration.fromEnvironment(brokers: brokers)
        if let fetchWaitMs { kafka.properties["fetch.wait.max.ms"] = String(fetchWaitMs) }
        let run = runId ?? String(UUID().uuidString.prefix(8))
        let input = "probe-in-\(run)"
        let output = "probe-out-\(run)"
        let stateTopic = "probe-state-\(run)"
        let plain = try KafkaProducer(
            configuration: KafkaProducerConfiguration(kafka: kafka, clientID: "probe", lingerMilliseconds: lingerMs),
            logger: logger)
        var txnKafka = kafka
        if let txnDebug { txnKafka.properties["debug"] = txnDebug }
        let transactional = try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                kafka: txnKafka, clientID: "probe-txn", transactionalID: "probe-\(run)", lingerMilliseconds: lingerMs),
            logger: logger)
        let hopConsumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                kafka: kafka, groupID: "probe-hop-\(run)", topics: [input], sessionTimeoutMilliseconds: 6000),
            logger: logger)
        let outConsumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                kafka: kafka, groupID: "probe-out-\(run)", topics: [output], sessionTimeoutMilliseconds: 6000),
            logger: logger)
        // Create both topics (the mock auto-creates them) before the consumers subscribe.
        try await plain.send(ProducerMessage(topic: input, key: "warm", value: "-1"))
        try await plain.send(ProducerMessage(topic: output, key: "warm", value: "-1"))
        try await plain.send(ProducerMessage(topic: stateTopic, key: "warm", value: "-1"))
        try await transactional.initTransactions()

        let timeline = Timeline()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await hopConsumer.run() }
            group.addTask { try await outConsumer.run() }
            group.addTask {
                var iterator = outConsumer.messages.makeAsyncIterator()
                while let batch = try await iterator.nextBatch() {
                    let now = ContinuousClock.now
                    for m in batch { if let i = m.valueString.flatMap(Int.init) { timeline.mark(i, .outRead, now) } }
                }
            }
            group.addTask {
                var iterator = hopConsumer.messages.makeAsyncIterator()
                while let batch = try await iterator.nextBatch() {
                    let now = ContinuousClock.now
                    let ids = batch.compactMap { $0.valueString.flatMap(Int.init) }
                    for i in ids { timeline.mark(i, .hopRead, now) }
                    try transactional.beginTransaction()
                    let begun = ContinuousClock.now
                    let out = batch.map { ProducerMessage(topic: output, key: $0.key, value: $0.value) }
                    let pending = try await transactional.submit(out)
                    if !overlap { try await pending.wait().throwIfFailed() }
                    if changelog {
                        let state = batch.map { ProducerMessage(topic: stateTopic, key: $0.key, value: $0.value) }
                        try await transactional.submit(state).wait().throwIfFailed()
                    }
                    let acked = ContinuousClock.now
                    try await transactional.sendOffsetsToTransaction(batch.nextOffsets, consumer: hopConsumer)
                    let offsetsSent = ContinuousClock.now
                    try await transactional.commitTransaction()
                    let committed = ContinuousClock.now
                    try await pending.wait().throwIfFailed()
                    hopConsumer.commitAsync(batch.nextOffsets)
                    for i in ids {
                        timeline.mark(i, .txnBegun, begun)
                        timeline.mark(i, .txnAcked, acked)
                        timeline.mark(i, .txnOffsetsSent, offsetsSent)
                        timeline.mark(i, .txnCommitted, committed)
                    }
                }
            }
            // Both consumers own their partitions once a record sent now goes all the way through.
            let readyBy = ContinuousClock.now + .seconds(30)
            var probe = 1_000_000
            while ContinuousClock.now < readyBy {
                try await plain.send(ProducerMessage(topic: input, key: "warm", value: String(probe)))
                let sentAt = ContinuousClock.now
                while ContinuousClock.now < sentAt + .seconds(2), timeline.instant(probe, .outRead) == nil {
                    try await Task.sleep(for: .milliseconds(10))
                }
                if timeline.instant(probe, .outRead) != nil { break }
                probe += 1
            }
            guard timeline.instant(probe, .outRead) != nil else { throw ValidationError("the hop never came alive") }
            try await Task.sleep(for: .seconds(1))

            let start = ContinuousClock.now
            for i in 0..<count {
                let due = start + .milliseconds(i * intervalMs)
                if due > .now { try await Task.sleep(until: due) }
                let sent = ContinuousClock.now
                timeline.mark(i, .sent, sent)
                try await plain.send(ProducerMessage(topic: input, key: "k\(i % 16)", value: String(i)))
                timeline.mark(i, .acked, .now)
            }
            let deadline = ContinuousClock.now + .seconds(20)
            func missing() -> Bool { (0..<count).contains { timeline.instant($0, .outRead) == nil } }
            while ContinuousClock.now < deadline, missing() {
                try await Task.sleep(for: .milliseconds(20))
            }
            group.cancelAll()
            while (try? await group.next()) != nil {}
        }
        try? await plain.close(timeout: .seconds(5))
        try? await transactional.close(timeout: .seconds(5))

        print("latency probe: \(count) records, one every \(intervalMs) ms, linger.ms \(lingerMs), "
            + "fetch.wait.max.ms \(fetchWaitMs.map(String.init) ?? "default")")
        let steps: [(String, Timeline.Step, Timeline.Step)] = [
            ("produce → ack (plain producer)", .sent, .acked),
            ("ack → read by the hop consumer", .acked, .hopRead),
            ("read → transaction begun", .hopRead, .txnBegun),
            ("txn: submit → ack (+ changelog)", .txnBegun, .txnAcked),
            ("txn: send offsets", .txnAcked, .txnOffsetsSent),
            ("txn: commit", .txnOffsetsSent, .txnCommitted),
            ("commit → read by the output consumer", .txnCommitted, .outRead),
            ("total: produce → output read", .sent, .outRead),
        ]
        for (name, from, to) in steps {
            let values = (0..<count).compactMap { i -> Double? in
                guard let a = timeline.instant(i, from), let b = timeline.instant(i, to) else { return nil }
                return Double((b - a).components.attoseconds) / 1e15 + Double((b - a).components.seconds) * 1000
            }.sorted()
            guard !values.isEmpty else {
                print("  \(name.padding(toLength: 40, withPad: " ", startingAt: 0)) no data")
                continue
            }
            func p(_ q: Double) -> Double { values[min(values.count - 1, Int(q * Double(values.count)))] }
            print("  \(name.padding(toLength: 40, withPad: " ", startingAt: 0))"
                + String(
                    format: " p50 %7.2f  p99 %7.2f  max %7.2f  (n=%d)", p(0.5), p(0.99), values.last!, values.count))
        }
    }
}

/// When each timed record passed each step.
private final class Timeline: Sendable {
    enum Step: Int, CaseIterable {
        case sent, acked, hopRead, txnBegun, txnAcked, txnOffsetsSent, txnCommitted, outRead
    }

    private let marks = Mutex<[Int: [Step: ContinuousClock.Instant]]>([:])

    func mark(_ record: Int, _ step: Step, _ at: ContinuousClock.Instant) {
        marks.withLock { m in
            if m[record]?[step] == nil { m[record, default: [:]][step] = at }
        }
    }

    func instant(_ record: Int, _ step: Step) -> ContinuousClock.Instant? {
        marks.withLock { $0[record]?[step] }
    }
}

extension KafkaMessage {
    fileprivate var valueString: String? { value.map { String(decoding: $0, as: UTF8.self) } }
}
