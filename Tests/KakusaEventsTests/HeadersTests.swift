import Foundation
import KakusaEvents
import Testing

@Suite struct HeadersTests {
    private let epoch = Date(timeIntervalSince1970: 1_737_990_000)

    @Test func cloudEventHeadersDescribeTheRecordInBinaryMode() {
        let headers = CloudEventHeaders(for: Samples.moonshot, source: "/kakusa/ingester", time: epoch).headers
        #expect(headers.map(\.key) == ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type"])
        #expect(
            headers.map(\.value) == [
                "1.0", Samples.moonshot.effectiveID, "/kakusa/ingester", "dev.kakusa.funding-round.v1",
                "2025-01-27T15:00:00.000Z", "application/json",
            ])
        #expect(CloudEventHeaders(headers: headers)?.id == Samples.moonshot.effectiveID)
        #expect(CloudEventHeaders(headers: [("ce_id", "x")]) == nil)
        #expect(RFC3339.isValidDateTime(headers[4].value))
    }

    @Test func deadLetterHeadersSayWhyAndWhereFrom() {
        let issues = [
            ValidationIssue(field: "valuation.currency", code: "unknown_currency", reason: "\"US$\" is not ISO 4217"),
            ValidationIssue(field: "announced_on", code: "invalid_date", reason: "not a date"),
        ]
        let dead = DeadLetterHeaders(
            issues: issues, service: "ingester", sourceFile: "data/seed/funding-rounds.ndjson", sourceLine: 4,
            originalTopic: "kakusa.funding-rounds", time: epoch)
        let headers = Dictionary(uniqueKeysWithValues: dead.headers.map { ($0.key, $0.value) })
        #expect(headers["kakusa.dlt.error.code"] == "unknown_currency")
        #expect(headers["kakusa.dlt.error.field"] == "valuation.currency")
        #expect(
            headers["kakusa.dlt.error.message"]
                == "valuation.currency: \"US$\" is not ISO 4217; announced_on: not a date")
        #expect(headers["kakusa.dlt.source.file"] == "data/seed/funding-rounds.ndjson")
        #expect(headers["kakusa.dlt.source.line"] == "4")
        #expect(headers["kakusa.dlt.original.topic"] == "kakusa.funding-rounds")
        #expect(headers["kakusa.dlt.original.offset"] == nil)
        #expect(headers["kakusa.dlt.service"] == "ingester")
        #expect(headers["kakusa.dlt.time"] == "2025-01-27T15:00:00.000Z")
        #expect(DeadLetterHeaders(headers: dead.headers) == dead)
    }
}
