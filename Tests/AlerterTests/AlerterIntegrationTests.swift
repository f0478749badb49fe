import KakusaTestSupport
import Foundation
import KakusaEvents
import KakusaKafka
import KakusaService
import ServiceLifecycle
import Testing

@testable import Alerter

/// The rule consumer on an in-process mock cluster: records in, exactly the expected alerts out, and cooldowns
/// that survive a restart.
@Suite(.serialized) struct AlerterIntegrationTests {
    static let rules = try! RulesLoader(file: "t.yaml").parse(
        """
        rules:
          - name: valuation-jump
            topic: valuation-changes
            when: { field: change_pct, abs_gte: 25 }
            severity: critical
            cooldown: 24h
          - name: new-unicorn
            topic: valuation-changes
            where: { change_pct: null }
            when: { field: current.amount, gte: 1000000000 }
            severity: warning
        """)

    let topics = Topics(partitions: 2)

    func cluster() throws -> EmbeddedKafka {
        let cluster = try EmbeddedKafka(logger: testLogger)
        for spec in topics.all { try cluster.createTopic(spec.name, partitions: spec.partitions) }
        try cluster.createTopic(topics.internal("alerter-state"), partitions: 2)
        return cluster
    }

    /// Runs the alerter's rule consumer until `body` returns, then shuts it down gracefully.
    func withAlerter<T: Sendable>(
        _ cluster: EmbeddedKafka, history: AlertHistory = AlertHistory(),
        _ body: @escaping @Sendable (AlertProcessor) async throws -> T
    ) async throws -> T {
        let kafka = KafkaConfiguration(
            bootstrapServers: cluster.bootstrapServers, properties: ["session.timeout.ms": "6000"])
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                kafka: kafka, groupID: "kakusa-alerter", topics: [topics.valuationChanges],
                sessionTimeoutMilliseconds: 6000),
            logger: testLogger)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(kafka: kafka, transactionalID: "kakusa-alerter-rules"),
            logger: testLogger)
        let processor = AlertProcessor(
            rules: Self.rules, topics: topics, kafka: kafka, group: "kakusa-alerter", consumer: consumer,
            producer: producer, readiness: Readiness(), history: history, logger: testLogger)
        let group = ServiceGroup(services: [producer, consumer, processor], logger: testLogger)
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            tasks.addTask {
                let result = try await body(processor)
                await group.triggerGracefulShutdown()
                return result
            }
            var value: T?
            while let next = try await tasks.next() { if let next { value = next } }
            return try #require(value)
        }
    }

    func publish(_ cluster: EmbeddedKafka, _ changes: [ValuationChange]) async throws {
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                kafka: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers)),
            logger: testLogger)
        try await producer.send(
            batch: changes.map {
                ProducerMessage(
                    topic: topics.valuationChanges, key: Array($0.key.utf8), value: try KakusaJSON.encode($0))
            }
        ).throwIfFailed()
        try await producer.close()
    }

    static func change(_ company: String, _ date: String, _ previous: Double?, _ current: Double, _ round: String)
        -> ValuationChange
    {
        ValuationChange(
            company: company, country: "CN", round: round, announcedOn: date, previous: previous.map(Money.usd),
            current: .usd(current), changePct: previous.map { (current - $0) / $0 * 100 },
            fundingRoundID: "fr-\(company)-\(round)")
    }

    /// How many input records the processor has applied (offsets start at 0 on a fresh cluster).
    static func applied(_ processor: AlertProcessor) -> Int64 {
        processor.committedState.appliedOffsets.values.reduce(0) { $0 + $1 + 1 }
    }

    func waitUntil(_ what: String, _ condition: @Sendable () -> Bool) async throws {
        let start = ContinuousClock.now
        while !condition() {
            if ContinuousClock.now - start > .seconds(40) { throw TimedOut(what: what) }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test func recordsMakeExactlyTheExpectedAlertsAndRestartKeepsCooldowns() async throws {
        let cluster = try cluster()
        let moonshotC = Self.change("Moonshot AI", "2025-01-20", 1e9, 3.3e9, "Series C")
        try await publish(
            cluster,
            [
                Self.change("Moonshot AI", "2024-02-01", nil, 1e9, "Series B"),  // new-unicorn
                moonshotC,  // valuation-jump
                moonshotC,  // the same record again: no second alert
                Self.change("Zhipu AI", "2025-01-05", 2.8e9, 3.0e9, "Series D"),  // +7%: nothing
                Self.change("Moonshot AI", "2025-01-20", 3.3e9, 5e9, "Series C2"),  // +52% but in cooldown
            ])
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                kafka: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers)),
            logger: testLogger)
        _ = try await producer.send(
            ProducerMessage(topic: topics.valuationChanges, key: "broken", value: #"{"company":"Broken"}"#))
        try await producer.close()
        let first = AlertHistory()
        try await withAlerter(cluster, history: first) { processor in
            try await waitUntil("all six records applied") { Self.applied(processor) == 6 }
        }
        #expect(first.recent().count == 2)
        let dead = try await readAll(cluster, topic: topics.deadLetters, count: 1)
        let why = try #require(DeadLetterHeaders(headers: dead[0].headers.map { ($0.key, $0.stringValue ?? "") }))
        #expect(why.service == "alerter")
        #expect(why.originalTopic == topics.valuationChanges)
        #expect(why.errorCode == "missing")
        let alerts = try await readAll(cluster, topic: topics.alerts, count: 2).map {
            try KakusaJSON.decode(Alert.self, from: $0.value ?? [])
        }
        #expect(alerts.map(\.rule).sorted() == ["new-unicorn", "valuation-jump"])
        let jump = try #require(alerts.first { $0.rule == "valuation-jump" })
        #expect(jump.message == "Moonshot AI valuation up 230.0% to USD 3.3B (was USD 1.0B), Series C on 2025-01-20")
        #expect(jump.id == AlertID.make(rule: "valuation-jump", subject: "moonshot-ai", recordID: moonshotC.id))
        #expect(jump.topic == topics.valuationChanges)

        // After a restart: the cooldown from 2025-01-20 still holds for the 21st at 00:00 minus nothing (the
        // 20th again), a re-delivered old record is still a duplicate, and the 22nd fires.
        try await publish(
            cluster,
            [
                moonshotC,
                Self.change("Moonshot AI", "2025-01-20", 5e9, 8e9, "Series C3"),
                Self.change("Moonshot AI", "2025-01-22", 8e9, 12e9, "Series D"),
            ])
        let second = AlertHistory()
        try await withAlerter(cluster, history: second) { processor in
            try await waitUntil("all nine records applied") { Self.applied(processor) == 9 }
            let state = processor.committedState.subjects["valuation-jump:moonshot-ai"]
            #expect(state?.lastFiredAt == "2025-01-22T00:00:00Z")
        }
        #expect(second.recent().count == 1)
        let after = try await readAll(cluster, topic: topics.alerts, count: 3).map {
            try KakusaJSON.decode(Alert.self, from: $0.value ?? [])
        }
        #expect(after.count == 3)
        #expect(
            after.filter { $0.rule == "valuation-jump" }.map(\.at) == ["2025-01-20T00:00:00Z", "2025-01-22T00:00:00Z"])
        #expect(Set(after.map(\.id)).count == 3)
    }
}
