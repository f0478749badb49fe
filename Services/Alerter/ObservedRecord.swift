import Foundation
import KakusaEvents

/// A record read from a watched topic, validated, with what the rules need: its JSON, its id, its subject and its
/// own time (the time cooldowns are measured in).
///
/// | topic | subject | time | id |
/// |---|---|---|---|
/// | valuation-changes | company slug | `announced_on` (00:00 UTC) | `id` |
/// | funding-rounds | company slug | `announced_on` (00:00 UTC) | `id` or content-derived |
/// | stock-moves | symbol | `at` (a date means 00:00 UTC) | `id` or content-derived |
/// | market-days | `date` | `date` (00:00 UTC) | `id` |
/// | country-paper-totals | `COUNTRY-YEAR` | `year` (1 January 00:00 UTC) | `id` |
/// | paper-counts | institution slug + year | `year` (1 January 00:00 UTC) | `id` or content-derived |
struct ObservedRecord: Sendable, Equatable {
    var topic: TopicKind
    var json: JSONValue
    var id: String
    var subject: String
    /// Seconds since 1970 of the record's own time.
    var time: Double
    /// The same, RFC 3339 (`2025-01-20T00:00:00Z`).
    var timeText: String

    /// Decodes and validates `bytes` as the record type of `topic`.
    static func decode(_ bytes: [UInt8], topic: TopicKind) throws(ValidationFailure) -> ObservedRecord {
        switch topic {
        case .valuationChanges:
            let r = try KakusaJSON.decodeValid(ValuationChange.self, from: bytes)
            return try make(r, topic, time: r.announcedOn)
        case .fundingRounds:
            let r = try KakusaJSON.decodeValid(FundingRound.self, from: bytes)
            return try make(r, topic, time: r.announcedOn)
        case .stockMoves:
            let r = try KakusaJSON.decodeValid(StockMove.self, from: bytes)
            return try make(r, topic, time: r.at)
        case .marketDays:
            let r = try KakusaJSON.decodeValid(MarketDay.self, from: bytes)
            return try make(r, topic, time: r.date)
        case .countryPaperTotals:
            let r = try KakusaJSON.decodeValid(CountryPaperTotals.self, from: bytes)
            return try make(r, topic, time: String(format: "%04d-01-01", r.year))
        case .paperCounts:
            let r = try KakusaJSON.decodeValid(PaperCount.self, from: bytes)
            return try make(r, topic, time: String(format: "%04d-01-01", r.year))
        case .alerts, .deadLetters:
            throw ValidationFailure(issues: [
                ValidationIssue(field: "", code: "unsupported_topic", reason: "rules do not watch \(topic.rawValue)")
            ])
        }
    }

    private static func make(
        _ record: some KakusaRecord, _ topic: TopicKind, time: String
    ) throws(ValidationFailure) -> ObservedRecord {
        guard let (seconds, text) = parseTime(time) else {
            throw ValidationFailure(issues: [
                ValidationIssue(field: "time", code: "invalid_time", reason: "cannot read \"\(time)\" as a time")
            ])
        }
        let json: JSONValue
        do {
            // The record as KakusaJSON writes it (as `JSONValue(encoding:)` would), read without `JSONDecoder`.
            json = try JSONValueParser.parse(KakusaJSON.encode(record))
        } catch {
            throw ValidationFailure(issues: [ValidationIssue(decodingError: error)])
        }
        return ObservedRecord(
            topic: topic, json: json, id: record.eventID, subject: record.key, time: seconds, timeText: text)
    }

    /// A date (midnight UTC) or an RFC 3339 date-time → seconds since 1970 and RFC 3339 text.
    static func parseTime(_ text: String) -> (Double, String)? {
        if RFC3339.isValidDate(text) {
            let full = text + "T00:00:00Z"
            return parseDateTime(full).map { ($0, full) }
        }
        guard RFC3339.isValidDateTime(text) else { return nil }
        return parseDateTime(text).map { ($0, text) }
    }

    /// Value-type parse styles: building an `ISO8601DateFormatter` per record was 38% of the alerter's CPU.
    private static let plainStyle = Date.ISO8601FormatStyle()
    private static let fractionalStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    private static func parseDateTime(_ text: String) -> Double? {
        if let date = try? plainStyle.parse(text) { return date.timeIntervalSince1970 }
        return (try? fractionalStyle.parse(text))?.timeIntervalSince1970
    }
}
