import KakusaTestSupport
import Foundation
import KakusaEvents
import KakusaKafka
import KakusaService
import Testing

@testable import Aggregator

/// Two instances in one group split the input partitions; what they publish together must be what one
/// derivation over all the input gives.
@Suite(.serialized) struct ScaleOutTests {
    static let rounds: [FundingRound] = (0..<120).map { i in
        let company = i % 30
        let n = i / 30
        let amount = Double(100 * (n + 1) + company)
        let currency = n % 2 == 0 ? "CNY" : "USD"
        return FundingRound(
            company: "Company \(company)", country: "CN", valuation: Money(amount: amount, currency: currency),
            announcedOn: "2024-0\(n + 1)-01")
    }
    static let counts: [PaperCount] = (0..<40).map { i in
        PaperCount(institution: "Institute \(i)", country: ["US", "CN", "JP", "FR"][i % 4], year: 2020 + i % 3, authors: 10 + i)
    }
    static let moves: [StockMove] = (0..<40).map { i in
        StockMove(
            symbol: "S\(i)", kind: .stock, at: "2025-01-2\(i % 4)", changePct: Double(i % 7) - 3.5,
            marketCapChange: Money(amount: Double(i) * 1000, currency: "JPY"))
    }

    @Test func twoInstancesTogetherGiveWhatOneDerivationGives() async throws {
        let broker = try TestBroker()
        let topics = broker.topics
        let first = try RunningAggregator.start(broker.settings(instance: "one"))
        let second = try RunningAggregator.start(broker.settings(instance: "two"))
        try await broker.eventually("both instances own partitions") {
            !first.aggregator.consumer.assignedPartitions.isEmpty && !second.aggregator.consumer.assignedPartitions.isEmpty
                && first.readiness.isReady && second.readiness.isReady
        }
        try await broker.produce(Self.rounds, to: topics.fundingRounds)
        try await broker.produce(Self.counts, to: topics.paperCounts)
        try await broker.produce(Self.moves, to: topics.stockMoves)

        // The expected end: one pure derivation over everything.
        let rates = broker.settings().rates
        var valuations = ValuationChanges()
        var expectedChanges: Set<ValuationChange> = []
        for round in Self.rounds {
            if case .change(let change, _) = valuations.apply(round, valuationUSD: rates.usd(round.valuation)!) {
                expectedChanges.insert(change)
            }
        }
        var papers = PaperTotals()
        for count in Self.counts { _ = papers.apply(count) }
        let expectedTotals = Dictionary(uniqueKeysWithValues: (2020...2022).flatMap { papers.totals(year: $0) }.map { ($0.key, $0) })
        var markets = MarketDays()
        for move in Self.moves { _ = markets.apply(move, marketCapChangeUSD: rates.usd(move.marketCapChange!)) }
        let expectedDays = Dictionary(uniqueKeysWithValues: (0..<4).compactMap { markets.day("2025-01-2\($0)") }.map { ($0.key, $0) })

        func latest<R: KakusaRecord>(_ type: R.Type, _ topic: String) async throws -> [String: R] {
            Dictionary(try await broker.decoded(type, topic).map { ($0.key, $0) }, uniquingKeysWith: { _, last in last })
        }
        try await broker.eventually("the outputs of both instances") {
            let changes = try await broker.read(topics.valuationChanges).count
            let totals = try await latest(CountryPaperTotals.self, topics.countryPaperTotals)
            let days = try await latest(MarketDay.self, topics.marketDays)
            return changes >= expectedChanges.count && totals == expectedTotals && days == expectedDays
        }
        let changes = try await broker.decoded(ValuationChange.self, topics.valuationChanges)
        #expect(changes.count == expectedChanges.count)
        #expect(Set(changes) == expectedChanges)
        try await first.stop()
        try await second.stop()
    }
}
