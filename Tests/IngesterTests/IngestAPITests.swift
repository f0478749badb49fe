import KakusaTestSupport
import Foundation
import KakusaEvents
import KakusaKafka
import Testing

@testable import Ingester

struct IDs: Decodable { var ids: [String] }
struct Errors: Decodable {
    struct Entry: Decodable, Equatable { var index: Int; var field: String; var code: String }
    var errors: [Entry]
}

/// The HTTP API of the real `ingester serve` executable, against an in-process broker.
@Suite(.serialized) struct IngestAPITests {
    @Test func validRecordsAreAcceptedWithTheirIDsOnceOnKafka() async throws {
        try await withBroker { cluster in
            let server = try await IngesterProcess(brokers: cluster.bootstrapServers)
            try await server.waitUntilReady()
            let ndjson = fundingLine("One Labs") + "\n" + fundingLine("Two Labs") + "\n"
            let response = try await server.post("/v1/funding-rounds", ndjson)
            #expect(response.status == 202, "\(String(decoding: response.body, as: UTF8.self))")
            let ids = try JSONDecoder().decode(IDs.self, from: response.body).ids
            let expected = try ndjson.split(separator: "\n").map {
                try KakusaJSON.decode(FundingRound.self, from: Array($0.utf8)).derivedID
            }
            #expect(ids == expected)
            let single = #"{"symbol":"MSFT","kind":"stock","at":"2025-01-29","change_pct":-5}"#
            #expect(try await server.post("/v1/stock-moves", single).status == 202)

            // A rejected request publishes nothing; the marker after it is the last record.
            let bad = "[" + fundingLine("Good Labs") + ","
                + #"{"company":"","country":"CN","valuation":{"amount":-1,"currency":"USD"},"investors":[],"#
                + #""announced_on":"2023-02-30"}]"#
            let rejected = try await server.post("/v1/funding-rounds", bad)
            #expect(rejected.status == 400)
            let errors = try JSONDecoder().decode(Errors.self, from: rejected.body).errors
            #expect(errors == [
                .init(index: 1, field: "company", code: "empty"),
                .init(index: 1, field: "valuation.amount", code: "negative"),
                .init(index: 1, field: "announced_on", code: "invalid_date"),
            ])
            #expect(try await server.post("/v1/paper-counts", "{nope").status == 400)
            #expect(try await server.post("/v1/funding-rounds", fundingLine("Marker Labs")).status == 202)

            let messages = try await consume(
                cluster, topics: ["kakusa.funding-rounds", "kakusa.stock-moves"], count: 4)
            #expect(Set(messages.compactMap(\.keyText)) == ["one-labs", "two-labs", "MSFT", "marker-labs"])
            #expect(messages.count == 4)
        }
    }

    @Test func metricsCountPublishedAndRejectedRecordsByTopic() async throws {
        try await withBroker { cluster in
            let server = try await IngesterProcess(brokers: cluster.bootstrapServers)
            try await server.waitUntilReady()
            let two = fundingLine("One Labs") + "\n" + fundingLine("Two Labs") + "\n"
            #expect(try await server.post("/v1/funding-rounds", two).status == 202)
            #expect(try await server.post("/v1/stock-moves", "{nope").status == 400)
            let metrics = try await server.get("/metrics")
            #expect(metrics.status == 200)
            let lines = metrics.body.split(separator: "\n").map(String.init)
            #expect(lines.contains(#"kakusa_ingester_records_published_total{topic="kakusa.funding-rounds"} 2"#))
            #expect(lines.contains(#"kakusa_ingester_records_rejected_total{topic="kakusa.stock-moves"} 1"#))
            #expect(lines.contains {
                $0.hasPrefix(#"kakusa_ingester_publish_duration_seconds_count{topic="kakusa.funding-rounds"} 1"#)
            }, "\(lines.filter { $0.contains("duration") })")
        }
    }

    @Test func anOversizedBodyIsRefused() async throws {
        try await withBroker { cluster in
            let server = try await IngesterProcess(
                brokers: cluster.bootstrapServers, environment: ["KAKUSA_MAX_BODY_BYTES": "100"])
            let response = try await server.post("/v1/funding-rounds", fundingLine(String(repeating: "x", count: 200)))
            #expect(response.status == 413)
        }
    }

    @Test func anUnreachableBrokerGives503() async throws {
        let server = try await IngesterProcess(brokers: "127.0.0.1:1")
        let response = try await server.post("/v1/funding-rounds", fundingLine("Lab"))
        #expect(response.status == 503)
    }
}
