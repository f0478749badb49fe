/// The market on one date, summed over the moves seen (derived, on `market-days`, keyed by date;
/// a latest-value view).
public struct MarketDay: Codable, Sendable, Equatable, Hashable {
    /// The largest fall of the day.
    public struct Fall: Codable, Sendable, Equatable, Hashable {
        public var symbol: String
        public var changePct: Double

        public init(symbol: String, changePct: Double) {
            self.symbol = symbol
            self.changePct = changePct
        }

        enum CodingKeys: String, CodingKey {
            case symbol
            case changePct = "change_pct"
        }
    }

    public var id: String
    /// `YYYY-MM-DD`.
    public var date: String
    /// Moves seen that day.
    public var moves: Int
    public var advancers: Int
    public var decliners: Int
    /// Summed market-cap change in USD; negative when value was lost.
    public var marketCapChange: Double
    /// Nil (written as `null`) when nothing fell.
    public var largestFall: Fall?

    public init(
        id: String, date: String, moves: Int, advancers: Int, decliners: Int, marketCapChange: Double,
        largestFall: Fall?
    ) {
        self.id = id
        self.date = date
        self.moves = moves
        self.advancers = advancers
        self.decliners = decliners
        self.marketCapChange = marketCapChange
        self.largestFall = largestFall
    }

    /// The same, with `id` derived from the content (see `derivedID`).
    public init(date: String, moves: Int, advancers: Int, decliners: Int, marketCapChange: Double, largestFall: Fall?) {
        self.init(
            id: "", date: date, moves: moves, advancers: advancers, decliners: decliners,
            marketCapChange: marketCapChange, largestFall: largestFall)
        id = derivedID
    }

    /// Covers, in order: `date`, `moves`, `advancers`, `decliners`, `market_cap_change`, `largest_fall` (as
    /// `<symbol> <change_pct>`, empty when null); tag `market-day.v1`.
    public var derivedID: String {
        RecordID.derive(
            type: "market-day.v1",
            fields: [
                "date": RecordID.canonical(date),
                "moves": RecordID.canonical(moves),
                "advancers": RecordID.canonical(advancers),
                "decliners": RecordID.canonical(decliners),
                "market_cap_change": RecordID.canonical(marketCapChange),
                "largest_fall": largestFall.map {
                    "\(RecordID.canonical($0.symbol)) \(RecordID.canonical($0.changePct))"
                } ?? "",
            ])
    }

    enum CodingKeys: String, CodingKey {
        case id, date, moves, advancers, decliners
        case marketCapChange = "market_cap_change"
        case largestFall = "largest_fall"
    }

    /// Writes every key, `largest_fall` as `null` when nothing fell, as the contract requires.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(date, forKey: .date)
        try container.encode(moves, forKey: .moves)
        try container.encode(advancers, forKey: .advancers)
        try container.encode(decliners, forKey: .decliners)
        try container.encode(marketCapChange, forKey: .marketCapChange)
        try container.encode(largestFall, forKey: .largestFall)
    }
}

extension MarketDay: KakusaRecord {
    public static var topicKind: TopicKind { .marketDays }
    /// The date.
    public var key: String { date }
    public var eventID: String { id }

    public func validate() -> [ValidationIssue] {
        var checks = Checks()
        checks.name("id", id)
        checks.date("date", date)
        checks.nonNegative("moves", moves)
        checks.nonNegative("advancers", advancers)
        checks.nonNegative("decliners", decliners)
        if advancers + decliners > moves {
            checks.add("moves", "out_of_range", "must be at least advancers + decliners")
        }
        checks.finite("market_cap_change", marketCapChange)
        if let largestFall {
            checks.name("largest_fall.symbol", largestFall.symbol)
            checks.finite("largest_fall.change_pct", largestFall.changePct)
        }
        return checks.issues
    }
}
