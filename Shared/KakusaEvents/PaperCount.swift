import Foundation

/// Authors of accepted papers at one institution in one year (input to `paper-counts`, keyed by
/// institution slug and year).
public struct PaperCount: Codable, Sendable, Equatable, Hashable {
    public var institution: String
    /// ISO 3166-1 alpha-2, upper case.
    public var country: String
    public var year: Int
    /// Authors counted per affiliation.
    public var authors: Int
    /// 1-based rank in the source's table; nil when not reported.
    public var rank: Int?
    /// Where the fact came from; not part of the id.
    public var source: String?
    /// A given id; when nil or empty, `effectiveID` derives one from the content.
    public var id: String?

    /// Years a count may describe.
    public static let years = 1900...2100

    public init(
        institution: String, country: String, year: Int, authors: Int, rank: Int? = nil, source: String? = nil,
        id: String? = nil
    ) {
        self.institution = institution
        self.country = country
        self.year = year
        self.authors = authors
        self.rank = rank
        self.source = source
        self.id = id
    }

    enum CodingKeys: String, CodingKey {
        case institution, country, year, authors, rank, source, id
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        institution = try container.decode(String.self, forKey: .institution)
        country = try container.decode(String.self, forKey: .country)
        year = try container.decodeInteger(forKey: .year)
        authors = try container.decodeInteger(forKey: .authors)
        rank = try container.decodeIntegerIfPresent(forKey: .rank)
        source = try container.decodeIfPresent(String.self, forKey: .source)
        id = try container.decodeIfPresent(String.self, forKey: .id)
    }

    /// The content-derived id. Covers, in order: `institution` (as its slug), `country`, `year`, `authors`,
    /// `rank`; tag `paper-count.v1`. Not `source` or `id`.
    public var derivedID: String {
        var fields = CanonicalFields(type: "paper-count.v1")
        fields.canonical("institution", Slug.make(institution))
        fields.text("country", country)
        fields.integer("year", year)
        fields.integer("authors", authors)
        fields.integer("rank", rank)
        return fields.id
    }

    /// The given `id` when non-empty, else `derivedID`.
    public var effectiveID: String { RecordID.effective(given: id, derived: derivedID) }
}

extension PaperCount: KakusaRecord {
    public static var topicKind: TopicKind { .paperCounts }
    /// `<institution slug>-<year>`, e.g. `tsinghua-university-2024`.
    public var key: String { "\(Slug.make(institution))-\(year)" }
    public var eventID: String { effectiveID }

    public func validate() -> [ValidationIssue] {
        var checks = Checks()
        checks.name("institution", institution)
        checks.country("country", country)
        checks.range("year", year, Self.years)
        checks.nonNegative("authors", authors)
        if let rank, rank < 1 { checks.add("rank", "out_of_range", "must be 1 or more, got \(rank)") }
        return checks.issues
    }
}
