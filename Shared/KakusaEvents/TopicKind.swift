/// The topics of the contract by their unprefixed names, as an alert rule's `topic:` names them.
public enum TopicKind: String, Sendable, Codable, CaseIterable, Hashable {
    case fundingRounds = "funding-rounds"
    case paperCounts = "paper-counts"
    case stockMoves = "stock-moves"
    case deadLetters = "dead-letters"
    case valuationChanges = "valuation-changes"
    case countryPaperTotals = "country-paper-totals"
    case marketDays = "market-days"
    case alerts = "alerts"

    /// Latest-value views keyed by their subject are compacted; streams of facts and alerts are not.
    public var isCompacted: Bool {
        switch self {
        case .valuationChanges, .countryPaperTotals, .marketDays: true
        case .fundingRounds, .paperCounts, .stockMoves, .deadLetters, .alerts: false
        }
    }

    /// The CloudEvents `ce_type` of the records on this topic (`dev.kakusa.funding-round.v1`).
    public var eventType: String { "dev.kakusa.\(schemaName).v1" }

    /// The singular record name, as in `Schemas/<schemaName>.schema.json` (`funding-round`).
    public var schemaName: String {
        switch self {
        case .fundingRounds: "funding-round"
        case .paperCounts: "paper-count"
        case .stockMoves: "stock-move"
        case .deadLetters: "dead-letter"
        case .valuationChanges: "valuation-change"
        case .countryPaperTotals: "country-paper-totals"
        case .marketDays: "market-day"
        case .alerts: "alert"
        }
    }
}
