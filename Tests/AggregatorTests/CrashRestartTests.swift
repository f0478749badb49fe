import Foundation
import KakusaEvents

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import KakusaKafka
import KakusaTestSupport
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
    static func expectedChanges(_ rounds: ArraySlice<FundingRound> = rounds[...]) -> [String: Expected] {
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
        let broker = try DevBrokerProcess(arguments: ["--partitions", "4"])
        defer { broker.harness.kill9() }
        let kafka = KafkaConfiguration(bootstrapServers: broker.bootstrapServers)
        let topics = Topics()
        let expected = Self.expectedChanges()
        #expect(expected.count > 1000)
        let environment = [
            "KAFKA_BROKERS": broker.bootstrapServers, "KAKUSA_INSTANCE_ID": "crash-test", "KAFKA_SESSION_TIMEOUT_MS": "6000",
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
        // The first transactions' commits (EndTxn, API key 26) are refused a while with a retriable
        // CONCURRENT_TRANSACTIONS (51), so the kill below lands inside a transaction whatever the machine's speed.
        try broker.harness.send("errors 26 51 30")
        let first = try ServiceProcessHarness.aggregator(environment: environment)
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

        let second = try ServiceProcessHarness.aggregator(environment: environment)
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
        // Usually the kill lands inside a transaction: the restart finds some of its outputs and leaves them out.
        let leftOut = metrics.firstMatch(of: /\nkakusa_aggregator_outputs_already_written_total (\d+)/).flatMap { Int($0.1) }
        // Intermittent: on a loaded machine the kill can land after the batch's state was written too (it did in CI);
        // the restart then has nothing to leave out, and the exactness checks below still apply.
        withKnownIssue("the kill landed after the batch's state", isIntermittent: true) {
            #expect((leftOut ?? 0) > 0, "no unfinished transaction's outputs found after the kill (\(atKill) at the kill)")
        }
        // Graceful stop: the batch in hand is finished and committed; nothing can arrive after it.
        #expect(try await second.terminate(within: .seconds(30)) == 0)
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

    /// A transaction that fails before it wrote its batch (a produce refused), again and again while the input is
    /// otherwise idle: each time the aggregator aborts, restores its state and rewinds, and the batch must be derived
    /// again. A rewind once lost the records fetched right after its seek (the poll under way stamped them as stale),
    /// which left rounds underived and later rounds of those companies computed against an older one. A short fetch
    /// wait makes that re-fetch quick, as it was after the fault suite's broker outage.
    @Test func abortedTransactionsRestoreAndRewindWithoutLosingARound() async throws {
        let broker = try DevBrokerProcess(arguments: ["--partitions", "4"])
        defer { broker.harness.kill9() }
        let kafka = KafkaConfiguration(bootstrapServers: broker.bootstrapServers)
        let topics = Topics()
        let environment = [
            "KAFKA_BROKERS": broker.bootstrapServers, "KAKUSA_INSTANCE_ID": "abort-test", "KAFKA_SESSION_TIMEOUT_MS": "6000",
            "KAFKA_FETCH_WAIT_MAX_MS": "5", "KAKUSA_FX_RATES": "CNY=7.25,JPY=155", "KAKUSA_HTTP_PORT": "0",
            "KAKUSA_LOG_LEVEL": "info",
        ]
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(kafka: kafka), logger: testLogger)
        let reader = KafkaTopicReader(kafka: kafka, isolationLevel: .readCommitted, timeout: .seconds(20))
        func changes() async throws -> [ValuationChange] {
            try await reader.readAll(topic: topics.valuationChanges, logger: testLogger)
                .map { try KakusaJSON.decode(ValuationChange.self, from: $0.value ?? []) }
        }
        /// Sends the rounds; sent again if a refused produce meant for the aggregator hit this producer first (a round
        /// twice is a duplicate id, which gives nothing).
        func produce(_ rounds: ArraySlice<FundingRound>) async throws {
            let messages = try rounds.map {
                ProducerMessage(topic: topics.fundingRounds, key: Array($0.key.utf8), value: try KakusaJSON.encode($0))
            }
            if (try? await producer.send(batch: messages).throwIfFailed()) == nil {
                try await producer.send(batch: messages).throwIfFailed()
            }
        }
        /// Waits until every change expected from `rounds[..<end]` is on the topic.
        func awaitChanges(through end: Int) async throws -> Bool {
            let wanted = Set(Self.expectedChanges(Self.rounds[..<end]).keys)
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                if Set(try await changes().map(\.id)).isSuperset(of: wanted) { return true }
                try await Task.sleep(for: .milliseconds(300))
            }
            return false
        }

        let aggregator = try ServiceProcessHarness.aggregator(environment: environment)
        try await produce(Self.rounds[..<1500])
        #expect(try await awaitChanges(through: 1500), "changes of the first 1,500 rounds missing")
        let slices = 6
        for slice in 0..<slices {
            let range = (1500 + slice * 250)..<(1750 + slice * 250)
            try await produce(Self.rounds[range])
            // The next Produce request, almost always the aggregator's first of the transaction for this slice, is
            // refused (INVALID_RECORD, permanent: abortable for a transactional producer): the transaction aborts
            // having written little or nothing, and its batch must be read and derived again.
            try broker.harness.send("errors 0 87 1")
            let complete = try await awaitChanges(through: range.upperBound)
            #expect(complete, "changes of rounds \(range) missing")
            if !complete {
                if let path = ProcessInfo.processInfo.environment["KAKUSA_TEST_LOG_DIR"] {
                    try? aggregator.output.write(toFile: path + "/aborted-transactions.log", atomically: true, encoding: .utf8)
                }
                break
            }
        }
        let metrics = try await aggregator.metrics()
        let aborted = metrics.firstMatch(of: /\nkakusa_aggregator_transactions_aborted_total (\d+)/).flatMap { Int($0.1) }
        #expect((aborted ?? 0) >= slices - 1, "\(aborted ?? 0) transactions aborted for \(slices) refused produce requests")
        #expect(try await aggregator.terminate(within: .seconds(30)) == 0)

        let expected = Self.expectedChanges(Self.rounds[..<3000])
        let all = try await changes()
        let counts = Dictionary(all.map { ($0.id, 1) }, uniquingKeysWith: +)
        let missing = expected.keys.filter { counts[$0] == nil }.count
        let unexpected = counts.keys.filter { expected[$0] == nil }.count
        #expect(missing == 0 && unexpected == 0, "\(missing) changes missing, \(unexpected) not expected")
        #expect(counts.values.allSatisfy { $0 == 1 }, "changes written more than once")
        let wrong = all.filter {
            expected[$0.id] != Expected(previous: $0.previous?.amount, current: $0.current.amount, changePct: $0.changePct)
        }
        #expect(wrong.isEmpty, "\(wrong.count) changes computed against the wrong previous round, e.g. \(wrong.first.map { "\($0.company) \($0.announcedOn)" } ?? "")")
        try await producer.close()
    }
}

extension ServiceProcessHarness {
    /// The aggregator, with exactly the environment given (none of the test runner's KAFKA_ variables).
    static func aggregator(environment: [String: String]) throws -> ServiceProcessHarness {
        try ServiceProcessHarness(
            executable: "aggregator", arguments: [], environment: environment, inheritKafkaEnvironment: false)
    }

    /// `GET /metrics` on the port the process logged.
    func metrics() async throws -> String {
        let port = try await waitForPort(within: .seconds(30))
        return try await get("/metrics", port: port).1
    }
}
