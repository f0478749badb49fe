import Foundation
import KakusaTestSupport
import Testing

/// The whole pipeline on a devbroker, as a user runs it: aggregator and alerter running, the seed data (and the
/// illustrative earlier Moonshot AI round) published with `ingester publish`, then an outside consumer
/// (examples/python/consume.py, confluent-kafka + jsonschema) reads the outputs and validates every value.
@Suite(.serialized)
struct EndToEndTests {
    @Test func seedDataThroughAllThreeServicesGivesTheSeedFiguresAndExactlyTheExpectedAlerts() async throws {
        let broker = try DevBrokerProcess()
        defer { broker.stop() }
        let environment = ["KAFKA_SESSION_TIMEOUT_MS": "6000", "KAFKA_BROKERS": broker.bootstrapServers]
        let aggregator = try ServiceProcessHarness(
            executable: "aggregator", arguments: ["--http-port", "0", "--http-host", "127.0.0.1"],
            environment: environment)
        let alerter = try ServiceProcessHarness(
            executable: "alerter",
            arguments: ["--http-port", "0", "--http-host", "127.0.0.1", "--rules",
                        packageRoot.appendingPathComponent("deploy/rules.yaml").path],
            environment: environment)
        for service in [aggregator, alerter] {
            let port = try await service.waitForPort(within: .seconds(30))
            try await waitUntilReady(service, port: port)
        }

        let publish = try ServiceProcessHarness(
            executable: "ingester",
            arguments: ["publish", "data/examples/funding-rounds-moonshot-2024.ndjson", "data/seed/funding-rounds.ndjson",
                        "data/seed/paper-counts.csv", "data/seed/stock-moves.ndjson"],
            environment: environment, directory: packageRoot)
        #expect(try await publish.waitForExit(within: .seconds(30)))
        #expect(publish.process.terminationStatus == 0, "\(publish.output)")

        // Expected from the seed facts, independently of the code: 5 unicorns first seen (the 2024 Moonshot AI
        // round and Zhipu, Baichuan, MiniMax, 01.AI), Moonshot AI's jump 1.0B → 3.3B, NVIDIA's two falls of 10%
        // or more (2025-01-27 and the week to 2025-01-30), and the US/JP paper gap of 19.33 ≥ 15.
        let expected = ["new-unicorn": 5, "valuation-jump": 1, "chip-selloff": 2, "paper-gap-japan": 1]
        var alerts: [[String: Any]] = []
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            alerts = try outsideConsumer(broker.bootstrapServers, "alerts")
            if alerts.count >= expected.values.reduce(0, +) { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        let byRule = Dictionary(grouping: alerts) { ($0["value"] as? [String: Any])?["rule"] as? String ?? "?" }
            .mapValues(\.count)
        #expect(byRule == expected)
        let messages = alerts.compactMap { ($0["value"] as? [String: Any])?["message"] as? String }
        #expect(messages.contains { $0.hasPrefix("Moonshot AI valuation up 230.0% to USD 3.3B (was USD 1.0B)") })

        let totals = try outsideConsumer(broker.bootstrapServers, "country-paper-totals")
            .compactMap { $0["value"] as? [String: Any] }
        var latest: [String: [String: Any]] = [:]
        for record in totals { latest["\(record["country"]!)"] = record }
        #expect(latest["US"]?["authors"] as? Int == 6940)
        #expect(latest["CN"]?["authors"] as? Int == 4370)
        #expect(latest["JP"]?["authors"] as? Int == 359)
        #expect((latest["US"]?["ratios"] as? [String: Double])?["JP"] == 19.33)
        #expect((latest["CN"]?["ratios"] as? [String: Double])?["JP"] == 12.17)

        for service in [aggregator, alerter] {
            #expect(try await service.terminate(within: .seconds(10)) == 0, "\(service.output)")
        }
    }

    private func waitUntilReady(_ service: ServiceProcessHarness, port: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if try await service.get("/health/ready", port: port).0 == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("\(service.name) not ready: \(service.output)")
    }

    /// Runs examples/python/consume.py over a topic from the beginning to its end; fails if a value does not
    /// validate against the shipped schema.
    private func outsideConsumer(_ brokers: String, _ topic: String) throws -> [[String: Any]] {
        let script = packageRoot.appendingPathComponent("examples/python/consume.py").path
        let output = try shell(try pythonPath(), [script, "--brokers", brokers, "--from-beginning", "--exit-at-end", topic])
        return try output.split(separator: "\n").map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }
}
