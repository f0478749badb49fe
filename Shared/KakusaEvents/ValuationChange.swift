/// A company's valuation moved (derived, on `valuation-changes`, keyed by company slug; a latest-value view).
///
/// Both amounts are in USD. `previous` and `changePct` are null for the first round seen; they are always
/// written, as `null` when absent.
public struct ValuationChange: Codable, Sendable, Equatable, Hashable {
    public var id: String
    public var company: String
    public var country: String
    public var round: String?
    /// The `announced_on` of the round that caused the change.
    public var announcedOn: String
    public var previous: Money?
    public var current: Money
    /// `(current - previous) / previous * 100`, rounded to 2 decimals; nil for the first round seen.
    public var changePct: Double?
    /// `effectiveID` of the funding round that caused this change.
    public var fundingRoundID: String

    public init(
        id: String, company: String, country: String, round: String?, announcedOn: String, previous: Money?,
        current: Money, changePct: Double?, fundingRoundID: String
    ) {
        self.id = id
        self.company = company
        self.country = country
        self.round = round
        self.announcedOn = announcedOn
        self.previous = previous
        self.current = current
        self.changePct = changePct
        self.fundingRoundID = fundingRoundID
    }

    /// The same, with `id` derived from `fundingRoundID` (see `makeID`).
    public init(
        company: String, country: String, round: String?, announcedOn: String, previous: Money?, current: Money,
        changePct: Double?, fundingRoundID: String
    ) {
        self.init(
            id: Self.makeID(fundingRoundID: fundingRoundID), company: company, country: country, round: round,
            announcedOn: announcedOn, previous: previous, current: current, changePct: changePct,
            fundingRoundID: fundingRoundID)
    }

    /// One change per funding round: covers `funding_round_id` only; tag `valuation-change.v1`.
    public static func makeID(fundingRoundID: String) -> String {
        var fields = CanonicalFields(type: idType)
        idFields(fundingRoundID: fundingRoundID, into: &fields)
        return fields.id
    }

    /// The canonical fields of that id, into `fields` (reused: a writer of many changes appends each id's digits
    /// with `fields.appendID(to:)`, with no String an id).
    public static func idFields(fundingRoundID: String, into fields: inout CanonicalFields) {
        fields.reset(type: idType)
        fields.text("funding_round_id", fundingRoundID)
    }

    private static let idType: StaticString = "valuation-change.v1"

    enum CodingKeys: String, CodingKey {
        case id, company, country, round
        case announcedOn = "announced_on"
        case previous, current
        case changePct = "change_pct"
        case fundingRoundID = "funding_round_id"
    }

    /// Writes every key, absent optionals as `null`, as the contract requires.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(company, forKey: .company)
        try container.encode(country, forKey: .country)
        try container.encode(round, forKey: .round)
        try container.encode(announcedOn, forKey: .announcedOn)
        try container.encode(previous, forKey: .previous)
        try container.encode(current, forKey: .current)
        try container.encode(changePct, forKey: .changePct)
        try container.encode(fundingRoundID, forKey: .fundingRoundID)
    }
}

extension ValuationChange: KakusaRecord {
    public static var topicKind: TopicKind { .valuationChanges }
    /// The company slug.
    public var key: String { Slug.make(company) }
    public var eventID: String { id }

    public func validate() -> [ValidationIssue] {
        var checks = Checks()
        checks.name("id", id)
        checks.name("company", company)
        checks.country("country", country)
        checks.date("announced_on", announcedOn)
        for (field, money) in [("previous", previous), ("current", current)] {
            guard let money else { continue }
            checks.add(money.validate(), under: field)
            if money.currency != "USD" {
                checks.add("\(field).currency", "invalid_value", "must be USD (converted), got \(money.currency)")
            }
        }
        if let changePct { checks.finite("change_pct", changePct) }
        checks.name("funding_round_id", fundingRoundID)
        return checks.issues
    }
}
