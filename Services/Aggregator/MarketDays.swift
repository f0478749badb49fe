import KakusaEvents

/// The stock moves of every trading day, each counted once by its id, and the day's summary.
///
/// The summary is recomputed from the day's moves in id order, so it is the same whatever order (or instance)
/// the moves arrived in. Pure; the Kafka loop persists ``Move`` values in the changelog.
struct MarketDays: Sendable, Equatable {
    /// One move as a day keeps it.
    struct Move: Codable, Sendable, Equatable, Hashable {
        /// `effectiveID` of the stock move.
        var id: String
        var date: String
        var symbol: String
        var changePct: Double
        /// The market-cap change converted to USD; nil when not reported.
        var marketCapChangeUSD: Double?

        enum CodingKeys: String, CodingKey {
            case id, date, symbol
            case changePct = "change_pct"
            case marketCapChangeUSD = "market_cap_change_usd"
        }
    }

    /// Date → move id → move.
    private(set) var days: [String: [String: Move]] = [:]

    /// Applies `move`, whose market-cap change is `marketCapChangeUSD` dollars; returns the entry to persist, or nil
    /// for a move already counted (same id).
    mutating func apply(_ move: StockMove, marketCapChangeUSD: Double?) -> Move? {
        let entry = Move(
            id: move.effectiveID, date: move.day, symbol: move.key, changePct: move.changePct,
            marketCapChangeUSD: marketCapChangeUSD)
        guard days[entry.date]?[entry.id] == nil else { return nil }
        restore(entry)
        return entry
    }

    /// Puts back an entry read from the changelog.
    mutating func restore(_ entry: Move) {
        days[entry.date, default: [:]][entry.id] = entry
    }

    /// The summary of `date`, or nil when no move was seen that day.
    func day(_ date: String) -> MarketDay? {
        guard let moves = days[date], !moves.isEmpty else { return nil }
        var advancers = 0
        var decliners = 0
        var capChange = 0.0
        var largestFall: Move?
        for move in moves.values.sorted(by: { $0.id < $1.id }) {
            if move.changePct > 0 { advancers += 1 }
            if move.changePct < 0 {
                decliners += 1
                if let fall = largestFall {
                    if (move.changePct, move.symbol) < (fall.changePct, fall.symbol) { largestFall = move }
                } else {
                    largestFall = move
                }
            }
            capChange += move.marketCapChangeUSD ?? 0
        }
        return MarketDay(
            date: date, moves: moves.count, advancers: advancers, decliners: decliners,
            marketCapChange: rounded(capChange, places: 2),
            largestFall: largestFall.map { MarketDay.Fall(symbol: $0.symbol, changePct: $0.changePct) })
    }
}
