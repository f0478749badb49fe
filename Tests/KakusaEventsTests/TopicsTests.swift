import KakusaEvents
import Testing

@Suite struct TopicsTests {
    @Test func namesCarryThePrefix() {
        let topics = Topics()
        #expect(topics.fundingRounds == "kakusa.funding-rounds")
        #expect(topics.countryPaperTotals == "kakusa.country-paper-totals")
        #expect(topics.deadLetters == "kakusa.dead-letters")
        #expect(topics.internal("aggregator.valuations-changelog") == "kakusa.internal.aggregator.valuations-changelog")
    }

    @Test func prefixAndPartitionsComeFromTheEnvironment() {
        let topics = Topics.fromEnvironment(["KAKUSA_TOPIC_PREFIX": "staging.", "KAKUSA_TOPIC_PARTITIONS": "6"])
        #expect(topics.alerts == "staging.alerts")
        #expect(topics.all.allSatisfy { $0.partitions == 6 })
        #expect(Topics.fromEnvironment([:]) == Topics())
        #expect(Topics.fromEnvironment(["KAKUSA_TOPIC_PREFIX": ""]).prefix == "kakusa.")
    }

    @Test func onlyDerivedViewsAreCompacted() {
        let compacted = Topics().all.filter(\.compacted).map(\.name)
        #expect(compacted == ["kakusa.valuation-changes", "kakusa.country-paper-totals", "kakusa.market-days"])
        #expect(Topics().all.count == 8)
    }

    @Test func unprefixedNamesAndFullNamesMapToKinds() {
        #expect(Topics.unprefixed("valuation-changes") == .valuationChanges)
        #expect(Topics.unprefixed("kakusa.valuation-changes") == nil)
        #expect(Topics().kind(ofTopic: "kakusa.stock-moves") == .stockMoves)
        #expect(Topics().kind(ofTopic: "kakusa.internal.x") == nil)
        #expect(FundingRound.eventType == "dev.kakusa.funding-round.v1")
        #expect(CountryPaperTotals.eventType == "dev.kakusa.country-paper-totals.v1")
    }
}
