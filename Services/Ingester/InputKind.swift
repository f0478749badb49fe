import KakusaEvents

/// The three record types the ingester accepts, named as their topics are.
enum InputKind: String, CaseIterable, Sendable {
    case fundingRounds = "funding-rounds"
    case paperCounts = "paper-counts"
    case stockMoves = "stock-moves"

    var topicKind: TopicKind {
        switch self {
        case .fundingRounds: .fundingRounds
        case .paperCounts: .paperCounts
        case .stockMoves: .stockMoves
        }
    }

    /// The kind a file name implies (`funding…`, `paper…`, `stock…`), or nil when it implies none.
    static func fromFileName(_ path: String) -> InputKind? {
        let name = path.split(separator: "/").last.map { $0.lowercased() } ?? ""
        if name.hasPrefix("funding") { return .fundingRounds }
        if name.hasPrefix("paper") { return .paperCounts }
        if name.hasPrefix("stock") { return .stockMoves }
        return nil
    }
}

/// An input record whose `id` the ingester fills in before publishing.
protocol InputRecord: KakusaRecord {
    var id: String? { get set }
    var effectiveID: String { get }
}

extension FundingRound: InputRecord {}
extension PaperCount: InputRecord {}
extension StockMove: InputRecord {}
