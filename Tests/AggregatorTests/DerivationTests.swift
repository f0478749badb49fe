import KakusaTestSupport
import KakusaEvents
import KakusaKafka
import Testing

@testable import Aggregator

@Suite struct ValuationChangesTests {
    let rates = FXRates(parsing: "JPY=155,CNY=7.25,EUR=0.92")!

    func apply(_ round: FundingRound, to changes: inout ValuationChanges) -> ValuationChanges.Outcome {
        changes.apply(round, valuationUSD: rates.usd(round.valuation)!)
    }

    @Test func aJPYRoundThenAUSDRoundGivesTheChangeInUSD() throws {
        var changes = ValuationChanges()
        guard case .change(let first, _) = apply(SeedRecords.fundingRounds[0], to: &changes) else {
            Issue.record("first round gave no change")
            return
        }
        #expect(first.previous == nil)
        #expect(first.changePct == nil)
        #expect(first.current == .usd(1_000_000_000))
        guard case .change(let second, _) = apply(SeedRecords.fundingRounds[1], to: &changes) else {
            Issue.record("second round gave no change")
            return
        }
        #expect(second.previous == .usd(1_000_000_000))
        #expect(second.current == .usd(3_300_000_000))
        #expect(second.changePct == 230)
        #expect(second.fundingRoundID == SeedRecords.fundingRounds[1].effectiveID)
        #expect(second.id == ValuationChange.makeID(fundingRoundID: second.fundingRoundID))
        #expect(second.validate().isEmpty)
    }

    @Test func theSameRoundAgainGivesNothing() {
        var changes = ValuationChanges()
        _ = apply(SeedRecords.fundingRounds[0], to: &changes)
        #expect(apply(SeedRecords.fundingRounds[0], to: &changes) == .duplicate)
        #expect(changes.history(slug: "moonshot-ai")?.count == 1)
    }

    @Test func anOlderRoundJoinsTheHistoryAndGivesNothing() {
        var changes = ValuationChanges()
        _ = apply(SeedRecords.fundingRounds[1], to: &changes)
        guard case .late = apply(SeedRecords.fundingRounds[0], to: &changes) else {
            Issue.record("an older round gave a change")
            return
        }
        #expect(changes.history(slug: "moonshot-ai")?.map(\.announcedOn) == ["2024-02-01", "2025-01-20"])
        // The next newer round compares with the newest, not with the late one.
        var third = SeedRecords.fundingRounds[1]
        third.announcedOn = "2025-06-01"
        third.valuation = Money(amount: 4_950_000_000, currency: "USD")
        guard case .change(let change, _) = apply(third, to: &changes) else {
            Issue.record("a newer round gave no change")
            return
        }
        #expect(change.previous == .usd(3_300_000_000))
        #expect(change.changePct == 50)
    }

    @Test func changePercentIsRoundedToTwoDecimals() {
        var changes = ValuationChanges()
        _ = changes.apply(SeedRecords.fundingRounds[2], valuationUSD: 3)
        var next = SeedRecords.fundingRounds[2]
        next.announcedOn = "2025-02-01"
        guard case .change(let change, _) = changes.apply(next, valuationUSD: 4) else {
            Issue.record("no change")
            return
        }
        #expect(change.changePct == 33.33)
    }

    @Test func ratesParseAndRefuseGarbage() {
        #expect(rates.unitsPerUSD == ["JPY": 155, "CNY": 7.25, "EUR": 0.92, "USD": 1])
        #expect(rates.usd(Money(amount: 1, currency: "GBP")) == nil)
        #expect(FXRates(parsing: "JPY=abc") == nil)
        #expect(FXRates(parsing: "JPY=-1") == nil)
    }
}

@Suite struct PaperTotalsTests {
    func seeded() -> PaperTotals {
        var papers = PaperTotals()
        for count in SeedRecords.paperCounts { _ = papers.apply(count) }
        return papers
    }

    @Test func seedGivesTheArticleFigures() throws {
        let totals = seeded().totals(year: 2024)
        let byCountry = Dictionary(uniqueKeysWithValues: totals.map { ($0.country, $0) })
        #expect(byCountry["US"]?.authors == 6940)
        #expect(byCountry["CN"]?.authors == 4370)
        #expect(byCountry["JP"]?.authors == 359)
        #expect(byCountry["US"]?.ratios["JP"] == 19.33)
        #expect(byCountry["CN"]?.ratios["JP"] == 12.17)
        #expect(byCountry["US"]?.institutions == 6)
        #expect(byCountry["US"]?.share == 0.5947)  // 6940 / 11669
        #expect(byCountry["JP"]?.ratios["US"] == 0.05)
        #expect(totals.allSatisfy { $0.validate().isEmpty })
    }

    @Test func aLaterCountForTheSameInstitutionReplacesTheEarlierOne() {
        var papers = seeded()
        let corrected = PaperCount(institution: "Google", country: "US", year: 2024, authors: 2175, source: "fix")
        #expect(papers.apply(corrected) != nil)
        let us = papers.totals(year: 2024).first { $0.country == "US" }
        #expect(us?.authors == 6941)
        #expect(us?.institutions == 6)
    }

    @Test func theSameCountAgainChangesNothing() {
        var papers = seeded()
        #expect(papers.apply(SeedRecords.paperCounts[0]) == nil)
    }
}

@Suite struct MarketDaysTests {
    let rates = FXRates(parsing: "JPY=155")!

    @Test func aDaySumsItsMovesInUSDAndNamesTheLargestFall() throws {
        var markets = MarketDays()
        for move in SeedRecords.stockMoves {
            _ = markets.apply(move, marketCapChangeUSD: move.marketCapChange.flatMap { rates.usd($0) })
        }
        let day = try #require(markets.day("2025-01-27"))
        #expect(day.moves == 3)
        #expect(day.advancers == 1)
        #expect(day.decliners == 2)
        #expect(day.marketCapChange == rounded(-91_000_000_000_000 / 155, places: 2))
        #expect(day.largestFall == MarketDay.Fall(symbol: "NVDA", changePct: -16.97))
        #expect(day.validate().isEmpty)
    }

    @Test func aMoveSentAgainIsCountedOnce() {
        var markets = MarketDays()
        #expect(markets.apply(SeedRecords.stockMoves[1], marketCapChangeUSD: nil) != nil)
        #expect(markets.apply(SeedRecords.stockMoves[1], marketCapChangeUSD: nil) == nil)
        #expect(markets.day("2025-01-27")?.moves == 1)
        #expect(markets.day("2025-01-28") == nil)
    }
}
