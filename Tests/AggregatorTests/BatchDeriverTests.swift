import KakusaEvents
import KakusaKafka
import Testing

@testable import Aggregator

@Suite struct BatchDeriverTests {
    let topics = Topics()
    var deriver: BatchDeriver { BatchDeriver(topics: topics, rates: FXRates(parsing: "JPY=155,CNY=7.25")!) }

    func messages<R: KakusaRecord>(_ records: [R], topic: String, partition: Int32 = 0, from offset: Int64 = 0)
        -> [KafkaMessage]
    {
        records.enumerated().map { index, record in
            KafkaMessage(
                topic: topic, partition: partition, offset: offset + Int64(index), key: Array(record.key.utf8),
                value: try! KakusaJSON.encode(record))
        }
    }

    /// Feeds the repartitioned records back, as the group would read them.
    func reread(_ outputs: [ProducerMessage], topic: String) -> [KafkaMessage] {
        outputs.filter { $0.topic == topic }.enumerated().map { index, message in
            KafkaMessage(topic: topic, partition: 0, offset: Int64(index), key: message.key, value: message.value)
        }
    }

    @Test func paperCountsGoThroughTheYearTopicToCountryTotals() throws {
        var state = StateStore()
        let first = deriver.derive(messages(SeedRecords.paperCounts, topic: topics.paperCounts), state: &state)
        #expect(first.outputs.count == 12)
        #expect(first.outputs.allSatisfy { $0.topic == topics.paperCountsByYear && $0.key == Array("2024".utf8) })
        let second = deriver.derive(reread(first.outputs, topic: topics.paperCountsByYear), state: &state)
        let totals = try second.outputs.map { try KakusaJSON.decode(CountryPaperTotals.self, from: $0.value ?? []) }
        #expect(totals.map(\.key) == ["CN-2024", "JP-2024", "US-2024"])
        #expect(totals.map(\.authors) == [4370, 359, 6940])
        #expect(totals.last?.ratios == ["CN": 1.59, "JP": 19.33])
    }

    @Test func aFundingRoundInACurrencyWithoutRateIsDeadLettered() throws {
        var state = StateStore()
        var round = SeedRecords.fundingRounds[2]
        round.valuation = Money(amount: 1, currency: "GBP")
        let input = messages([round], topic: topics.fundingRounds, partition: 2, from: 7)
        let result = deriver.derive(input, state: &state)
        #expect(result.outputs.count == 1)
        let letter = try #require(result.outputs.first)
        #expect(letter.topic == topics.deadLetters)
        #expect(letter.value == input[0].value)
        let headers = try #require(DeadLetterHeaders(headers: letter.headers.map { ($0.key, $0.stringValue ?? "") }))
        #expect(headers.errorCode == "unknown_rate")
        #expect(headers.originalTopic == topics.fundingRounds)
        #expect(headers.originalPartition == 2)
        #expect(headers.originalOffset == 7)
        #expect(state.valuations.histories.isEmpty)
    }

    @Test func invalidJSONIsDeadLettered() {
        var state = StateStore()
        let bad = KafkaMessage(topic: topics.stockMoves, partition: 0, offset: 0, key: nil, value: Array("{".utf8))
        let result = deriver.derive([bad], state: &state)
        #expect(result.outputs.map(\.topic) == [topics.deadLetters])
        #expect(result.deadLetters == 1)
    }

    @Test func recordsAtOrBelowTheAppliedOffsetAreSkipped() {
        var state = StateStore()
        let input = messages(SeedRecords.fundingRounds, topic: topics.fundingRounds)
        let first = deriver.derive(input, state: &state)
        #expect(first.derived == 3)
        let again = deriver.derive(input, state: &state)
        #expect(again.skipped == 3)
        #expect(again.outputs.isEmpty)
    }

    @Test func theChangelogRestoresTheSameState() {
        var state = StateStore()
        var changelog: [ProducerMessage] = []
        let rounds = deriver.derive(messages(SeedRecords.fundingRounds, topic: topics.fundingRounds), state: &state)
        let moves = deriver.derive(messages(SeedRecords.stockMoves, topic: topics.stockMoves), state: &state)
        let counts = deriver.derive(messages(SeedRecords.paperCounts, topic: topics.paperCounts), state: &state)
        changelog += rounds.changelog + moves.changelog + counts.changelog
        for step in [moves, counts] {
            let topic = step.outputs[0].topic
            changelog += deriver.derive(reread(step.outputs, topic: topic), state: &state).changelog
        }
        var restored = StateStore()
        for record in changelog.reversed() {
            let understood = restored.restore(key: String(decoding: record.key ?? [], as: UTF8.self), value: record.value)
            #expect(understood)
        }
        #expect(restored == state)
        #expect(restored.markets.day("2025-01-27")?.moves == 3)
    }
}
