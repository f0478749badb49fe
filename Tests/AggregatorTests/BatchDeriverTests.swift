import KakusaTestSupport
import Foundation
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
        #expect(first.outputs.messages.count == 12)
        #expect(first.outputs.messages.allSatisfy { $0.topic == topics.paperCountsByYear && $0.key == Array("2024".utf8) })
        let second = deriver.derive(reread(first.outputs.messages, topic: topics.paperCountsByYear), state: &state)
        let totals = try second.outputs.messages.map { try KakusaJSON.decode(CountryPaperTotals.self, from: $0.value ?? []) }
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
        #expect(result.outputs.messages.count == 1)
        let letter = try #require(result.outputs.messages.first)
        #expect(letter.topic == topics.deadLetters)
        #expect(letter.value == input[0].value)
        let headers = try #require(DeadLetterHeaders(headers: letter.headers.map { ($0.key, $0.stringValue ?? "") }))
        #expect(headers.errorCode == "unknown_rate")
        #expect(headers.originalTopic == topics.fundingRounds)
        #expect(headers.originalPartition == 2)
        #expect(headers.originalOffset == 7)
        #expect(state.valuations.companyCount == 0)
    }

    @Test func invalidJSONIsDeadLettered() {
        var state = StateStore()
        let bad = KafkaMessage(topic: topics.stockMoves, partition: 0, offset: 0, key: nil, value: Array("{".utf8))
        let result = deriver.derive([bad], state: &state)
        #expect(result.outputs.messages.map(\.topic) == [topics.deadLetters])
        #expect(result.deadLetters == 1)
    }

    @Test func recordsAtOrBelowTheAppliedOffsetAreSkipped() {
        var state = StateStore()
        let input = messages(SeedRecords.fundingRounds, topic: topics.fundingRounds)
        let first = deriver.derive(input, state: &state)
        #expect(first.derived == 3)
        let again = deriver.derive(input, state: &state)
        #expect(again.skipped == 3)
        #expect(again.outputs.messages.isEmpty)
    }

    @Test func valuationChangesCarryTheirCloudEventsHeadersAndTheirInput() throws {
        var state = StateStore()
        let input = messages(SeedRecords.fundingRounds, topic: topics.fundingRounds, partition: 3, from: 40)
        let changes = deriver.derive(input, state: &state).outputs.messages.filter { $0.topic == topics.valuationChanges }
        #expect(changes.count == SeedRecords.fundingRounds.count)
        for (offset, message) in changes.enumerated() {
            let change = try KakusaJSON.decode(ValuationChange.self, from: message.value ?? [])
            let headers = message.headers.map { ($0.key, $0.stringValue ?? "") }
            let time = try #require(headers.first { $0.0 == "ce_time" }?.1)
            let expected = CloudEventHeaders(for: change, source: "/kakusa/aggregator", time: Date()).headers.map { header in
                (header.key, header.key == "ce_time" ? time : header.value)
            }
            // In `CloudEventHeaders.headers` order, then the input it came from.
            #expect(headers.map(\.0) == expected.map(\.0) + [BatchDeriver.inputHeaderKey])
            #expect(headers.dropLast().map(\.1) == expected.map(\.1))
            #expect(RFC3339.isValidDateTime(time), "ce_time \(time)")
            let position = try #require(BatchDeriver.inputPosition(headers.last?.1 ?? ""))
            #expect(position.0 == TopicPartition(topic: topics.fundingRounds, partition: 3))
            #expect(position.1 == 40 + Int64(offset))
        }
    }

    @Test func theParallelPassesGiveWhatOneChunkGives() throws {
        // Many companies, their rounds out of order and repeated, with bad records among them.
        var rounds: [KafkaMessage] = []
        for index in 0..<6000 {
            let company = index % 100  // every id comes back 1000 records later: duplicates, across the chunks
            let value: [UInt8]
            switch index % 1000 {
            case 7: value = Array("not json".utf8)
            case 11: value = Array(#"{"company":"X","country":"JP","valuation":{"amount":1,"currency":"GBP"},"announced_on":"2024-01-01"}"#.utf8)
            default:
                let day = 1 + (index * 7919) % 28
                let round = FundingRound(
                    company: "Company \(company)", country: company % 2 == 0 ? "CN" : "JP",
                    valuation: Money(amount: Double(1000 + index), currency: company % 2 == 0 ? "CNY" : "USD"),
                    investors: ["I"], announcedOn: "2024-02-\(day < 10 ? "0" : "")\(day)", id: "r-\(company)-\(index % 1000)")
                value = try KakusaJSON.encode(round)
            }
            rounds.append(
                KafkaMessage(topic: topics.fundingRounds, partition: Int32(company % 5), offset: Int64(index), key: nil, value: value))
        }
        var one = deriver
        one.parallelism = 1
        var four = deriver
        four.parallelism = 4
        var sequentialState = StateStore()
        var parallelState = StateStore()
        var reused = BatchDeriver.Result()
        var sequential: [ProducerMessage] = []
        var parallel: [ProducerMessage] = []
        for slice in [rounds[..<2500], rounds[2500...]] {
            let expected = one.derive(Array(slice), state: &sequentialState)
            four.derive(Array(slice), state: &parallelState, into: &reused)
            #expect((reused.derived, reused.deadLetters) == (expected.derived, expected.deadLetters))
            sequential += expected.outputs.messages + expected.changelog
            parallel += reused.outputs.messages + reused.changelog
        }
        #expect(parallelState == sequentialState)
        #expect(parallel.count == sequential.count)
        #expect(sequential.filter { $0.topic == topics.deadLetters }.count == 12)
        let changes = sequential.filter { $0.topic == topics.valuationChanges }.count
        // One state record a company a batch, holding the company's rounds new in that batch.
        let records = sequential.filter { $0.key?.starts(with: Array("valuation:".utf8)) == true }
        #expect(records.count == 100)  // 100 companies; the second batch holds nothing but duplicates
        let ids = try records.flatMap { try KakusaJSON.decode([ValuationChanges.Entry].self, from: $0.value ?? []) }
            .map(\.fundingRoundID)
        let entries = Set(ids).count
        #expect(ids.count == entries)
        #expect(entries == 998)  // the first of each id (two in a thousand are bad records); the rest are duplicates
        #expect(changes > 0 && changes < entries)  // late rounds join a history without a change
        func comparable(_ message: ProducerMessage) -> String {
            let headers = message.headers.filter { !["ce_time", "kakusa.dlt.time"].contains($0.key) }.map { "\($0.key)=\($0.stringValue ?? "-")" }
            return "\(message.topic) \(message.key ?? []) \(String(decoding: message.value ?? [], as: UTF8.self)) \(headers)"
        }
        let mismatch = zip(parallel.map(comparable), sequential.map(comparable)).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(mismatch == nil, "record \(mismatch?.offset ?? -1): \(mismatch?.element.0 ?? "") vs \(mismatch?.element.1 ?? "")")
    }

    /// A company's rounds new in a batch are one state record; records of many batches, late rounds and
    /// duplicates among them, read back in any order (and next to records of the formats before), give the
    /// state that was derived.
    @Test func aCompanysNewRoundsOfABatchAreOneStateRecordThatRestoresThem() throws {
        var state = StateStore()
        var changelog: [ProducerMessage] = []
        var offset: Int64 = 0
        for batch in 0..<4 {
            var rounds: [FundingRound] = []
            for index in 0..<3000 {
                let company = (index * 7 + batch) % 40
                let n = (index * 31 + batch * 17) % 90  // ids and days come back: duplicates and late rounds
                rounds.append(FundingRound(
                    company: "Company \(company)", country: "CN", valuation: Money(amount: Double(1000 + n), currency: "CNY"),
                    investors: ["I"], announcedOn: "2024-03-\(10 + n % 20)", id: "r-\(company)-\(n)"))
            }
            let result = deriver.derive(messages(rounds, topic: topics.fundingRounds, from: offset), state: &state)
            offset += Int64(rounds.count)
            let entries = result.stateRecords.messages.filter { $0.key?.starts(with: Array("valuation:".utf8)) == true }
            let companies = try Set(entries.map { try KakusaJSON.decode([ValuationChanges.Entry].self, from: $0.value ?? []).first?.company })
            #expect(entries.count == companies.count)
            changelog += result.changelog
        }
        var restored = StateStore()
        // The format before: one entry a record.
        let single = ValuationChanges.Entry(
            fundingRoundID: "solo", company: "Solo", country: "JP", round: nil, announcedOn: "2024-01-01",
            valuation: Money(amount: 5, currency: "USD"), valuationUSD: 5, sequence: 0)
        let understood = restored.restore(key: "valuation:solo:solo", value: try KakusaJSON.encode(single))
        #expect(understood)
        _ = state.valuations.apply(
            FundingRound(company: "Solo", country: "JP", valuation: single.valuation, announcedOn: "2024-01-01", id: "solo"),
            valuationUSD: 5)
        // And the format of early December 2026: an array of entries as objects.
        var duo = single
        (duo.fundingRoundID, duo.company) = ("duo", "Duo")
        #expect(restored.restore(key: "valuation:duo:duo", value: try KakusaJSON.encode([duo])))
        _ = state.valuations.apply(
            FundingRound(company: "Duo", country: "JP", valuation: duo.valuation, announcedOn: "2024-01-01", id: "duo"),
            valuationUSD: 5)
        for record in changelog.shuffled() {
            let understood = restored.restore(key: String(decoding: record.key ?? [], as: UTF8.self), value: record.value)
            #expect(understood)
        }
        #expect(restored.valuations == state.valuations)
        #expect(restored == state)
    }

    /// A busy company's new rounds of one batch are split into records that stay far below Kafka's largest
    /// message (one record would have passed it and failed the batch for good), and restore them all.
    @Test func aBusyCompanysRoundsOfABatchAreSplitBelowKafkasMessageLimit() throws {
        var state = StateStore()
        let rounds = (0..<6000).map { index in
            FundingRound(
                company: "Hot Company", country: "CN", valuation: Money(amount: Double(1_000_000 + index), currency: "CNY"),
                investors: ["I"], announcedOn: "2024-03-01", id: "hot-\(index)")
        }
        var four = deriver
        four.parallelism = 4
        let result = four.derive(messages(rounds, topic: topics.fundingRounds), state: &state)
        let records = result.stateRecords.messages.filter { $0.key?.starts(with: Array("valuation:".utf8)) == true }
        #expect(records.count > 1)
        #expect(records.allSatisfy { ($0.value?.count ?? 0) < BatchDeriver.stateRecordBytes + 1024 })
        #expect(Set(records.map(\.key)).count == records.count)
        let entries = try records.flatMap { try KakusaJSON.decode([ValuationChanges.Entry].self, from: $0.value ?? []) }
        #expect(Set(entries.map(\.fundingRoundID)).count == 6000)
        var restored = StateStore()
        for record in result.changelog {
            let understood = restored.restore(key: String(decoding: record.key ?? [], as: UTF8.self), value: record.value)
            #expect(understood)
        }
        #expect(restored == state)
    }

    @Test func theChangelogRestoresTheSameState() {
        var state = StateStore()
        var changelog: [ProducerMessage] = []
        let rounds = deriver.derive(messages(SeedRecords.fundingRounds, topic: topics.fundingRounds), state: &state)
        let moves = deriver.derive(messages(SeedRecords.stockMoves, topic: topics.stockMoves), state: &state)
        let counts = deriver.derive(messages(SeedRecords.paperCounts, topic: topics.paperCounts), state: &state)
        changelog += rounds.changelog + moves.changelog + counts.changelog
        for step in [moves, counts] {
            let topic = step.outputs.messages[0].topic
            changelog += deriver.derive(reread(step.outputs.messages, topic: topic), state: &state).changelog
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
