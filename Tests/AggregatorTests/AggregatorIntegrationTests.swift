import KakusaTestSupport
import Foundation
import KakusaEvents
import KakusaKafka
import KakusaService
import Logging
import ServiceLifecycle
import Testing

@testable import Aggregator

let testLogger: Logger = {
    var logger = Logger(label: "aggregator-tests")
    logger.logLevel = ProcessInfo.processInfo.environment["KAKUSA_TEST_LOG"] != nil ? .debug : .critical
    return logger
}()

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// One in-memory broker with every Kakusa topic, and helpers to feed it and read it back.
struct TestBroker {
    let cluster: EmbeddedKafka
    let topics = Topics()
    var kafka: KafkaConfiguration { KafkaConfiguration(bootstrapServers: cluster.bootstrapServers) }

    init() throws {
        cluster = try EmbeddedKafka(logger: testLogger)
        for spec in topics.all + topics.internalAll { try cluster.createTopic(spec.name, partitions: 3) }
    }

    func produce<R: KakusaRecord>(_ records: [R], to topic: String) async throws {
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(kafka: kafka), logger: testLogger)
        let messages = try records.map {
            ProducerMessage(topic: topic, key: Array($0.key.utf8), value: try KakusaJSON.encode($0))
        }
        try await producer.send(batch: messages).throwIfFailed()
        try await producer.close()
    }

    func read(_ topic: String) async throws -> [KafkaMessage] {
        let collected = Collector()
        _ = try await KafkaTopicReader(kafka: kafka, timeout: .seconds(20)).read(topic: topic, logger: testLogger) {
            collected.append($0)
        }
        return collected.messages
    }

    func decoded<R: Decodable>(_ type: R.Type, _ topic: String) async throws -> [R] {
        try await read(topic).map { try KakusaJSON.decode(type, from: $0.value ?? []) }
    }

    /// Polls `condition` every 200 ms until it holds or `seconds` pass.
    func eventually(_ what: String, seconds: Double = 45, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TimedOut(what: what)
    }

    func settings(instance: String = "test") -> AggregatorSettings {
        AggregatorSettings(
            kafka: kafka, topics: topics, rates: FXRates(parsing: "JPY=155,CNY=7.25,EUR=0.92")!,
            instanceID: instance, sessionTimeoutMilliseconds: 6000)
    }
}

final class Collector: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [KafkaMessage] = []
    func append(_ message: KafkaMessage) { lock.withLock { stored.append(message) } }
    var messages: [KafkaMessage] { lock.withLock { stored } }
}

/// An aggregator running in-process, in its own service group, until `stop()`.
struct RunningAggregator {
    let aggregator: Aggregator
    let readiness: Readiness
    let group: ServiceGroup
    let task: Task<Void, any Error>

    static func start(_ settings: AggregatorSettings) throws -> RunningAggregator {
        let readiness = Readiness()
        let aggregator = try Aggregator(settings: settings, readiness: readiness, logger: testLogger)
        let group = ServiceGroup(services: aggregator.services, logger: testLogger)
        let task = Task { try await group.run() }
        return RunningAggregator(aggregator: aggregator, readiness: readiness, group: group, task: task)
    }

    /// Graceful shutdown: the loop finishes its batch and commits; the clients close.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }

    /// True once every record up to `ends` (partition → last offset) of `topic` has been applied.
    func hasApplied(_ topic: String, through ends: [Int32: Int64]) -> Bool {
        aggregator.view.read { state in
            ends.allSatisfy { state.appliedOffsets[TopicPartition(topic: topic, partition: $0.key)] ?? -1 >= $0.value }
        }
    }
}

func lastOffsets(_ messages: [KafkaMessage]) -> [Int32: Int64] {
    messages.reduce(into: [:]) { ends, message in ends[message.partition] = max(ends[message.partition] ?? -1, message.offset) }
}

@Suite(.serialized) struct AggregatorIntegrationTests {
    @Test func seedInputGivesTheContractFiguresAndARestartContinuesWithoutRepeating() async throws {
        let broker = try TestBroker()
        let topics = broker.topics
        var gbp = SeedRecords.fundingRounds[2]
        gbp.company = "Pound AI"
        gbp.valuation = Money(amount: 5, currency: "GBP")
        try await broker.produce(SeedRecords.fundingRounds + [gbp], to: topics.fundingRounds)
        try await broker.produce(SeedRecords.paperCounts, to: topics.paperCounts)
        try await broker.produce(SeedRecords.stockMoves, to: topics.stockMoves)

        let first = try RunningAggregator.start(broker.settings())
        try await broker.eventually("seed outputs") {
            let totals = try await broker.decoded(CountryPaperTotals.self, topics.countryPaperTotals)
            let latest = Dictionary(totals.map { ($0.key, $0) }, uniquingKeysWith: { _, last in last })
            let days = try await broker.decoded(MarketDay.self, topics.marketDays)
            let changes = try await broker.read(topics.valuationChanges).count
            let letters = try await broker.read(topics.deadLetters).count
            return changes == 3 && letters == 1 && days.last?.moves == 3 && latest["US-2024"]?.authors == 6940
                && latest["JP-2024"]?.authors == 359 && latest["CN-2024"]?.authors == 4370
        }
        #expect(first.readiness.isReady)
        let totals = try await broker.decoded(CountryPaperTotals.self, topics.countryPaperTotals)
        let latest = Dictionary(totals.map { ($0.key, $0) }, uniquingKeysWith: { _, last in last })
        #expect(latest["US-2024"]?.ratios["JP"] == 19.33)
        #expect(latest["CN-2024"]?.ratios["JP"] == 12.17)
        let changes = try await broker.decoded(ValuationChange.self, topics.valuationChanges)
        let moonshot = changes.filter { $0.company == "Moonshot AI" }.sorted { $0.announcedOn < $1.announcedOn }
        #expect(moonshot.map(\.changePct) == [nil, 230])
        let letter = try #require(try await broker.read(topics.deadLetters).first)
        #expect(letter.headers.value(forKey: DeadLetterHeaders.errorCodeKey) == "unknown_rate")
        #expect(letter.headers.value(forKey: DeadLetterHeaders.originalTopicKey) == topics.fundingRounds)
        #expect(first.aggregator.view.read { $0.valuations.history(slug: "moonshot-ai")?.count } == 2)
        try await first.stop()

        let before = try await outputCounts(broker)
        var next = SeedRecords.fundingRounds[1]
        next.announcedOn = "2025-06-01"
        next.valuation = Money(amount: 4_950_000_000, currency: "USD")
        try await broker.produce([SeedRecords.fundingRounds[0], next], to: topics.fundingRounds)
        let inputEnds = lastOffsets(try await broker.read(topics.fundingRounds))

        let second = try RunningAggregator.start(broker.settings())
        try await broker.eventually("the new round applied after the restart") {
            second.hasApplied(topics.fundingRounds, through: inputEnds)
        }
        try await second.stop()
        let after = try await outputCounts(broker)
        #expect(after[topics.valuationChanges] == (before[topics.valuationChanges] ?? 0) + 1)
        for topic in [topics.countryPaperTotals, topics.marketDays, topics.deadLetters] {
            #expect(after[topic] == before[topic], "\(topic) repeated output after the restart")
        }
        let all = try await broker.decoded(ValuationChange.self, topics.valuationChanges)
        #expect(Set(all.map(\.id)).count == all.count)
        let newest = all.first { $0.announcedOn == "2025-06-01" }
        #expect(newest?.previous == .usd(3_300_000_000))
        #expect(newest?.changePct == 50)
    }

    func outputCounts(_ broker: TestBroker) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        let topics = broker.topics
        for topic in [topics.valuationChanges, topics.countryPaperTotals, topics.marketDays, topics.deadLetters] {
            counts[topic] = try await broker.read(topic).count
        }
        return counts
    }
}
