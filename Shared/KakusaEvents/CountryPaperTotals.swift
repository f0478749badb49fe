/// One country's paper authors in one year (derived, on `country-paper-totals`, keyed `<country>-<year>`;
/// a latest-value view).
public struct CountryPaperTotals: Codable, Sendable, Equatable, Hashable {
    public var id: String
    public var year: Int
    public var country: String
    /// Sum of `authors` over the country's institutions (the latest count per institution and year).
    public var authors: Int
    /// Number of institutions counted.
    public var institutions: Int
    /// This country's share of all authors that year, 0...1, rounded to 4 decimals.
    public var share: Double
    /// Other country → this total / that total, rounded to 2 decimals (`["JP": 19.33]` for the US in 2024).
    public var ratios: [String: Double]

    public init(
        id: String, year: Int, country: String, authors: Int, institutions: Int, share: Double,
        ratios: [String: Double]
    ) {
        self.id = id
        self.year = year
        self.country = country
        self.authors = authors
        self.institutions = institutions
        self.share = share
        self.ratios = ratios
    }

    /// The same, with `id` derived from the content (see `derivedID`).
    public init(year: Int, country: String, authors: Int, institutions: Int, share: Double, ratios: [String: Double]) {
        self.init(
            id: "", year: year, country: country, authors: authors, institutions: institutions, share: share,
            ratios: ratios)
        id = derivedID
    }

    /// Covers, in order: `country`, `year`, `authors`, `institutions`, `share`, `ratios` (sorted by country), so
    /// the id changes whenever this or another country's total that year changes; tag `country-paper-totals.v1`.
    public var derivedID: String {
        RecordID.derive(
            type: "country-paper-totals.v1",
            fields: [
                "country": RecordID.canonical(country),
                "year": RecordID.canonical(year),
                "authors": RecordID.canonical(authors),
                "institutions": RecordID.canonical(institutions),
                "share": RecordID.canonical(share),
                "ratios": RecordID.canonical(ratios),
            ])
    }
}

extension CountryPaperTotals: KakusaRecord {
    public static var topicKind: TopicKind { .countryPaperTotals }
    /// `<country>-<year>`, e.g. `US-2024`.
    public var key: String { "\(country)-\(year)" }
    public var eventID: String { id }

    public func validate() -> [ValidationIssue] {
        var checks = Checks()
        checks.name("id", id)
        checks.range("year", year, PaperCount.years)
        checks.country("country", country)
        checks.nonNegative("authors", authors)
        checks.nonNegative("institutions", institutions)
        checks.range("share", share, 0...1)
        for (other, ratio) in ratios.sorted(by: { $0.key < $1.key }) {
            checks.country("ratios.\(other)", other)
            checks.nonNegative("ratios.\(other)", ratio)
        }
        return checks.issues
    }
}
