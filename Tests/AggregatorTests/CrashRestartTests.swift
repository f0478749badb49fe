import Foundation
import KakusaEvents

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import KakusaKafka
import Testing

/// The real `aggregator` executable against the real `devbroker` executable, killed with SIGKILL while its work is
/// in flight and started again under the same instance id: every valuation change must be on the topic exactly
/// once, as a `read_committed` reader sees it (no de-duplication), and equal to what an independent computation
/// of the contract expects.
@Suite(.serialized) struct CrashRestartTests {
    static let companies = 150
    static let rates = ["CNY": 7.25, "JPY": 155.0, "USD": 1.0]

    /// 3,000 rounds: per company newer rounds, some older ones (late: no change) and some repeated ids (no change).
    static let rounds: [FundingRound] = (0..<3000).map { i in
        let company = i % companies
        let n = i / companies
        let currency = ["CNY", "JPY", "USD"][(company + n) % 3]
        var day = 1 + n
        var id = "crash-\(company)-\(n)"
        if n % 7 == 3 { day = 1 }  // older than the newest known: history only
        if n % 9 == 5 { id = "crash-\(company)-\(n - 1)" }  // the previous round's id again: a duplicate
        return FundingRound(
            company: "Crash Co \(company)", country: "CN", valuation: Money(amount: Double(1_000 * (n + 2) + company), currency: currency),
            investors: ["Test Capital"], announcedOn: String(format: "2024-%02d-%02d", 1 + day / 28, 1 + day % 28), id: id)
    }

    struct Expected: Equatable {
        var previous: Double?
        var current: Double
        var changePct: Double?
    }

    /// The contract, computed here: per company the newest round by `announced_on` (a tie is newer), the change
    /// from its USD valuation; an older round or an id already seen gives nothing. Keyed by the change's id.
    static func expectedChanges() -> [String: Expected] {
        var newest: [String: (date: String, usd: Double)] = [:]
        var seen: Set<String> = []
        var expected: [String: Expected] = [:]
        for round in rounds {
            let id = round.id!
            guard seen.insert(id).inserted else { continue }
            let usd = round.valuation.amount / rates[round.valuation.currency]!
            let previous = newest[round.company]
            if let previous, round.announcedOn < previous.date { continue }
            var pct: Double?
            if let previous {
                pct = ((usd - previous.usd) / previous.usd * 100 * 100).rounded(.toNearestOrAwayFromZero) / 100
            }
            expected[ValuationChange.makeID(fundingRoundID: id)] = Expected(previous: previous?.usd, current: usd, changePct: pct)
            newest[round.company] = (round.announcedOn, usd)
        }
        return expected
    }

    @Test func killNineMidStreamThenRestartWritesEveryValuationChangeExactlyOnce() async throws {
        let broker = try ExecutableUnderTest.devbroker(partitions: 4)
        defer { broker.kill9() }
        let kafka = KafkaConfiguration(bootstrapServers: broker.firstLine)
        let topics = Topics()
        let expected = Self.expectedChanges()
        #expect(expected.count > 1000)
        let environment = [
            "KAFKA_BROKERS": broker.firstLine, "KAKUSA_INSTANCE_ID": "crash-test", "KAFKA_SESSION_TIMEOUT_MS": "6000",
            "KAKUSA_FX_RATES": "CNY=7.25,JPY=155", "KAKUSA_HTTP_PORT": "0", "KAKUSA_LOG_LEVEL": "info",
        ]
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(kafka: kafka), logger: testLogger)
        let outputPartitions = (0..<Int32(4)).map { TopicPartition(topic: topics.valuationChanges, partition: $0) }
        func outputsOnTopic() async throws -> Int64 {
            try await producer.endOffsets(outputPartitions).values.reduce(0, +)
        }
        func produce(_ rounds: ArraySlice<FundingRound>) async throws {
            let messages = try rounds.map {
                ProducerMessage(topic: topics.fundingRounds, key: Array($0.key.utf8), value: try KakusaJSON.encode($0))
            }
            try await producer.send(batch: messages).throwIfFailed()
        }

        try await produce(Self.rounds[..<2000])
        let first = try ExecutableUnderTest.aggregator(environment: environment)
        // Killed as soon as the first outputs show: the transaction that writes them has not committed yet.
        let deadline = ContinuousClock.now + .seconds(60)
        while try await outputsOnTopic() == 0 {
            guard ContinuousClock.now < deadline, first.isRunning else {
                Issue.record("no output within 60 s: \(first.output)")
                return
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        first.kill9()
        let atKill = try await outputsOnTopic()
        try await produce(Self.rounds[2000...])

        let second = try ExecutableUnderTest.aggregator(environment: environment)
        let reader = KafkaTopicReader(kafka: kafka, isolationLevel: .readCommitted, timeout: .seconds(20))
        var changes: [ValuationChange] = []
        let until = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < until {
            changes = try await reader.readAll(topic: topics.valuationChanges, logger: testLogger)
                .map { try KakusaJSON.decode(ValuationChange.self, from: $0.value ?? []) }
            if Set(changes.map(\.id)).isSuperset(of: expected.keys) { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        // Metrics of the restarted process: records in and out, consumer lag (caught up: 0), transaction times.
        let metrics = try await second.metrics()
        for name in [
            "kakusa_aggregator_records_in_total ", "kakusa_aggregator_records_out_total{kind=\"derived\"} ",
            "kakusa_aggregator_consumer_lag_records{topic=\"\(topics.fundingRounds)\"} 0",
            "kakusa_aggregator_transaction_seconds_bucket{", "kakusa_aggregator_outputs_already_written_total ",
        ] {
            #expect(metrics.contains("\n" + name), "\(name) not in /metrics")
        }
        // The kill landed inside a transaction: the restart found some of its outputs and left them out.
        let leftOut = metrics.firstMatch(of: /\nkakusa_aggregator_outputs_already_written_total (\d+)/).flatMap { Int($0.1) }
        #expect((leftOut ?? 0) > 0, "no unfinished transaction's outputs found after the kill (\(atKill) at the kill)")
        // Graceful stop: the batch in hand is finished and committed; nothing can arrive after it.
        #expect(try await second.terminate() == 0)
        changes = try await reader.readAll(topic: topics.valuationChanges, logger: testLogger)
            .map { try KakusaJSON.decode(ValuationChange.self, from: $0.value ?? []) }

        let counts = Dictionary(changes.map { ($0.id, 1) }, uniquingKeysWith: +)
        let missing = expected.keys.filter { counts[$0] == nil }
        let repeated = counts.filter { $0.value > 1 }
        let unexpected = counts.keys.filter { expected[$0] == nil }
        #expect(missing.isEmpty, "\(missing.count) expected changes missing")
        #expect(
            repeated.isEmpty,
            "\(repeated.count) changes written more than once (\(atKill) outputs at the kill), e.g. \(repeated.keys.sorted().prefix(3))")
        if let path = ProcessInfo.processInfo.environment["KAKUSA_TEST_LOG_DIR"] {
            try? (first.output + "\n---- restart ----\n" + second.output).write(
                toFile: path + "/crash-restart.log", atomically: true, encoding: .utf8)
        }
        #expect(unexpected.isEmpty, "\(unexpected.count) changes not expected")
        for change in changes {
            let want = expected[change.id]
            #expect(
                want == Expected(previous: change.previous?.amount, current: change.current.amount, changePct: change.changePct),
                "\(change.company) \(change.announcedOn)")
        }
        #expect(second.output.contains("output_tail"), "the restart restored its state")
        try await producer.close()
    }
}

/// An executable of this package (next to the test runner) started for one test, its stderr collected.
final class ExecutableUnderTest: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var collected = ""
    /// The first stdout line (the devbroker's bootstrap list), when asked for.
    private(set) var firstLine = ""

    init(_ name: String, arguments: [String] = [], environment: [String: String] = [:], readFirstLine: Bool = false) throws {
        process.executableURL = try Self.productsDirectory().appendingPathComponent(name)
        process.arguments = arguments
        var inherited = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("KAKUSA_") && !$0.key.hasPrefix("KAFKA_") }
        inherited.merge(environment) { _, new in new }
        process.environment = inherited
        let stdout = Pipe()
        process.standardOutput = readFirstLine ? stdout : FileHandle.nullDevice
        process.standardInput = Pipe()  // the devbroker reads commands from stdin: keep it open
        let stderr = Pipe()
        process.standardError = stderr
        stderr.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self else { return }
            if data.isEmpty { handle.readabilityHandler = nil } else { self.append(data) }
        }
        try process.run()
        if readFirstLine {
            var bytes: [UInt8] = []
            let handle = stdout.fileHandleForReading
            while let byte = try handle.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") { bytes.append(byte) }
            firstLine = String(decoding: bytes, as: UTF8.self)
        }
    }

    deinit { kill9() }

    static func devbroker(partitions: Int) throws -> ExecutableUnderTest {
        let broker = try ExecutableUnderTest("devbroker", arguments: ["--partitions", "\(partitions)"], readFirstLine: true)
        guard !broker.firstLine.isEmpty else { throw TimedOut(what: "the devbroker's bootstrap line") }
        return broker
    }

    static func aggregator(environment: [String: String]) throws -> ExecutableUnderTest {
        try ExecutableUnderTest("aggregator", environment: environment)
    }

    private func append(_ data: Data) { lock.withLock { collected += String(decoding: data, as: UTF8.self) } }
    var output: String { lock.withLock { collected } }
    var isRunning: Bool { process.isRunning }

    func kill9() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// `GET /metrics` on the port the process logged.
    func metrics() async throws -> String {
        guard let match = output.firstMatch(of: /http server listening.*port[=":]+(\d+)/), let port = Int(match.1) else {
            throw TimedOut(what: "the http port in the log")
        }
        let url = URL(string: "http://127.0.0.1:\(port)/metrics")!
        let (data, _) = try await URLSession.shared.data(from: url)
        return String(decoding: data, as: UTF8.self)
    }

    /// SIGTERM, then the exit status (SIGKILL and nil after 30 s).
    func terminate() async throws -> Int32? {
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(30)
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        guard !process.isRunning else {
            kill9()
            return nil
        }
        return process.terminationStatus
    }

    /// The build products directory: next to the test runner, else `.build/debug` of this package.
    static func productsDirectory() throws -> URL {
        var candidates: [URL] = []
        if let runner = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: runner).deletingLastPathComponent())
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(package.appendingPathComponent(".build/debug"))
        for directory in candidates
        where FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("aggregator").path) {
            return directory
        }
        throw TimedOut(what: "an aggregator executable in \(candidates.map(\.path)) (run `swift build` first)")
    }
}
