import Foundation

/// A price move of a stock or an index (input to `stock-moves`, keyed by symbol).
public struct StockMove: Codable, Sendable, Equatable, Hashable {
    /// Whether the symbol is a single stock or an index. Decodes any string, so `"bond"` becomes
    /// `.unknown("bond")` and is reported by `validate()` as `invalid_kind` rather than as a decoding error.
    public enum Kind: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
        case stock
        case index
        case unknown(String)

        public init(rawValue: String) {
            switch rawValue {
            case "stock": self = .stock
            case "index": self = .index
            default: self = .unknown(rawValue)
            }
        }

        public var rawValue: String {
            switch self {
            case .stock: "stock"
            case .index: "index"
            case .unknown(let raw): raw
            }
        }

        public var description: String { rawValue }

        public init(from decoder: any Decoder) throws {
            self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }
    }

    public var symbol: String
    public var name: String?
    public var kind: Kind
    /// RFC 3339 date-time, or a plain `YYYY-MM-DD` date for a daily move.
    public var at: String
    /// Percent change, e.g. `-16.97`.
    public var changePct: Double
    /// Closing price or index level.
    public var close: Double?
    /// Change in market value; negative for a fall.
    public var marketCapChange: Money?
    /// Where the fact came from; not part of the id.
    public var source: String?
    /// A given id; when nil or empty, `effectiveID` derives one from the content.
    public var id: String?

    public init(
        symbol: String, name: String? = nil, kind: Kind, at: String, changePct: Double, close: Double? = nil,
        marketCapChange: Money? = nil, source: String? = nil, id: String? = nil
    ) {
        self.symbol = symbol
        self.name = name
        self.kind = kind
        self.at = at
        self.changePct = changePct
        self.close = close
        self.marketCapChange = marketCapChange
        self.source = source
        self.id = id
    }

    enum CodingKeys: String, CodingKey {
        case symbol, name, kind, at
        case changePct = "change_pct"
        case close
        case marketCapChange = "market_cap_change"
        case source, id
    }

    /// The trading day: the `YYYY-MM-DD` written at the start of `at`, in the time zone the move was reported in.
    public var day: String { String(at.prefix(10)) }

    /// The content-derived id. Covers, in order: `symbol` (upper-cased), `kind`, `at`, `change_pct`, `close`,
    /// `market_cap_change`; tag `stock-move.v1`. Not `name`, `source` or `id`.
    public var derivedID: String {
        var fields = CanonicalFields(type: "stock-move.v1")
        fields.canonical("symbol", RecordID.canonical(symbol).uppercased())
        fields.text("kind", kind.rawValue)
        fields.text("at", at)
        fields.number("change_pct", changePct)
        fields.number("close", close)
        fields.money("market_cap_change", marketCapChange)
        return fields.id
    }

    /// The given `id` when non-empty, else `derivedID`.
    public var effectiveID: String { RecordID.effective(given: id, derived: derivedID) }
}

extension StockMove: KakusaRecord {
    public static var topicKind: TopicKind { .stockMoves }
    /// The symbol, upper-cased and trimmed.
    public var key: String { RecordID.canonical(symbol).uppercased() }
    public var eventID: String { effectiveID }

    public func validate() -> [ValidationIssue] {
        var checks = Checks()
        checks.name("symbol", symbol)
        if case .unknown(let raw) = kind {
            checks.add("kind", "invalid_kind", "must be \"stock\" or \"index\", got \"\(raw)\"")
        }
        if !RFC3339.isValidDateOrDateTime(at) {
            checks.add("at", "invalid_time", "\"\(at)\" is neither an RFC 3339 date-time nor a YYYY-MM-DD date")
        }
        checks.finite("change_pct", changePct)
        if let close { checks.nonNegative("close", close) }
        if let marketCapChange {
            checks.add(marketCapChange.validate(allowingNegative: true), under: "market_cap_change")
        }
        return checks.issues
    }
}
