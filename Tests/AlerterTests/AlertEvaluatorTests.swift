import KakusaTestSupport
import KakusaEvents
import KakusaKafka
import Testing

@testable import Alerter

@Suite struct AlertEvaluatorTests {
    static let rules = try! RulesLoader(file: "t.yaml").parse(
        """
        rules:
          - name: valuation-jump
            topic: valuation-changes
            when: { field: change_pct, abs_gte: 25 }
            severity: critical
            cooldown: 24h
          - name: chip-selloff
            topic: stock-moves
            when: { field: change_pct, lte: -10 }
            severity: warning
        """)

    static func change(_ company: String, on date: String, from previous: Double?, to current: Double, round: String)
        -> ValuationChange
    {
        ValuationChange(
            company: company, country: "CN", round: round, announcedOn: date, previous: previous.map(Money.usd),
            current: .usd(current), changePct: previous.map { (current - $0) / $0 * 100 },
            fundingRoundID: "fr-\(company)-\(date)-\(round)")
    }

    func observe(_ record: some KakusaRecord) throws -> ObservedRecord {
        try ObservedRecord.decode(KakusaJSON.encode(record), topic: type(of: record).topicKind)
    }

    @Test func aValuationJumpMakesOneActionableAlert() throws {
        var state = AlerterState()
        let record = try observe(Self.change("Moonshot AI", on: "2025-01-20", from: 1e9, to: 3.3e9, round: "Series C"))
        let outcome = AlertEvaluator(rules: Self.rules).evaluate(
            record, topicName: "kakusa.valuation-changes", state: &state)
        let alert = try #require(outcome.alerts.first)
        #expect(outcome.alerts.count == 1)
        #expect(alert.message == "Moonshot AI valuation up 230.0% to USD 3.3B (was USD 1.0B), Series C on 2025-01-20")
        #expect(alert.subject == "moonshot-ai")
        #expect(alert.at == "2025-01-20T00:00:00Z")
        #expect(alert.id == AlertID.make(rule: "valuation-jump", subject: "moonshot-ai", recordID: record.id))
        #expect(alert.validate().isEmpty)
        #expect(state.subjects["valuation-jump:moonshot-ai"]?.recentAlertIDs == [alert.id])
    }

    @Test func cooldownCountsInRecordTimeNotWallClock() throws {
        let rules = try RulesLoader(file: "t.yaml").parse(
            """
            rules:
              - name: selloff
                topic: stock-moves
                when: { field: change_pct, lte: -5 }
                severity: warning
                cooldown: 15m
            """)
        var state = AlerterState()
        let evaluator = AlertEvaluator(rules: rules)
        let times = ["10:00", "10:10", "09:50", "10:15", "10:20", "10:29", "10:30"]
        var fired: [String] = []
        for time in times {
            let move = StockMove(symbol: "NVDA", kind: .stock, at: "2025-01-27T\(time):00Z", changePct: -6)
            fired += evaluator.evaluate(try observe(move), topicName: "s", state: &state).alerts.map(\.at)
        }
        // 10:10 and a late 09:50 are inside 15 min of 10:00; 10:15 is 15 min later; 10:29 is inside 10:15's window.
        #expect(fired == ["2025-01-27T10:00:00Z", "2025-01-27T10:15:00Z", "2025-01-27T10:30:00Z"])
        // The wall clock played no part: the whole run took milliseconds.
        #expect(state.subjects["selloff:NVDA"]?.lastFiredAt == "2025-01-27T10:30:00Z")
    }

    @Test func aRedeliveredRecordMakesNoSecondAlertEvenWithoutCooldown() throws {
        var state = AlerterState()
        let evaluator = AlertEvaluator(rules: Self.rules)
        let move = StockMove(symbol: "NVDA", name: "NVIDIA", kind: .stock, at: "2025-01-27", changePct: -17)
        let first = evaluator.evaluate(try observe(move), topicName: "s", state: &state)
        let again = evaluator.evaluate(try observe(move), topicName: "s", state: &state)
        #expect(first.alerts.count == 1)
        #expect(again.alerts.isEmpty)
        #expect(again.suppressed.map(\.reason) == ["duplicate"])
        #expect(first.alerts[0].message == "NVIDIA (NVDA) fell 17.0% on 2025-01-27")
        #expect(first.alerts[0].recordID == move.effectiveID)
    }

    @Test func stateSurvivesAChangelogRoundTrip() throws {
        var state = AlerterState()
        let record = try observe(Self.change("Zhipu AI", on: "2025-01-02", from: 1e9, to: 3e9, round: "B"))
        _ = AlertEvaluator(rules: Self.rules).evaluate(record, topicName: "v", state: &state)
        let partition = TopicPartitionFixture.valuation
        state.appliedOffsets[partition] = 41
        var restored = AlerterState()
        for message in try state.changelogMessages(
            topic: "state", subjectKeys: state.subjects.keys, partitions: [partition])
        {
            restored.apply(changelogKey: String(decoding: message.key ?? [], as: UTF8.self), value: message.value)
        }
        #expect(restored == state)
        #expect(restored.isApplied(partition, offset: 41))
        #expect(!restored.isApplied(partition, offset: 42))
    }
}
