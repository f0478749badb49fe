import Foundation

/// A funding round or valuation as reported (input to `funding-rounds`, keyed by company slug).
public struct FundingRound: Codable, Sendable, Equatable, Hashable {
    public var company: String
    /// ISO 3166-1 alpha-2, upper case.
    public var country: String
    /// `Series B`, `Strategic`…; nil when not reported.
    public var round: String?
    public var valuation: Money
    public var raised: Money?
    public var investors: [String]
    /// `YYYY-MM-DD`.
    public var announcedOn: String
    /// Where the fact came from (URL or citation); not part of the id.
    public var source: String?
    /// A given id; when nil or empty, `effectiveID` derives one from the content.
    public var id: String?

    public init(
        company: String, country: String, round: String? = nil, valuation: Money, raised: Money? = nil,
        investors: [String] = [], announcedOn: String, source: String? = nil, id: String? = nil
    ) {
        self.company = company
        self.country = country
        self.round = round
        self.valuation = valuation
        self.raised = raised
        self.investors = investors
        self.announcedOn = announcedOn
        self.source = source
        self.id = id
    }

    enum CodingKeys: String, CodingKey {
        case company, country, round, valuation, raised, investors
        case announcedOn = "announced_on"
        case source, id
    }

    /// The content-derived id. Covers, in order: `company` (as its slug), `country`, `round`, `valuation`,
    /// `raised`, `investors` (sorted), `announced_on`; tag `funding-round.v1`. Not `source` or `id`.
    public var derivedID: String {
        var fields = CanonicalFields(type: "funding-round.v1")
        fields.canonical("company", Slug.make(company))
        fields.text("country", country)
        fields.text("round", round)
        fields.money("valuation", valuation)
        fields.money("raised", raised)
        fields.list("investors", investors, sorted: true)
        fields.text("announced_on", announcedOn)
        return fields.id
    }

    /// The given `id` when non-empty, else `derivedID`.
    public var effectiveID: String { RecordID.effective(given: id, derived: derivedID) }
}

extension FundingRound: KakusaRecord {
    public static var topicKind: TopicKind { .fundingRounds }
    /// The company slug.
    public var key: String { Slug.make(company) }
    public var eventID: String { effectiveID }

    public func validate() -> [ValidationIssue] {
        var checks = Checks()
        checks.name("company", company)
        checks.country("country", country)
        if let round { checks.name("round", round) }
        checks.add(valuation.validate(), under: "valuation")
        if let raised { checks.add(raised.validate(), under: "raised") }
        for (index, investor) in investors.enumerated() {
            checks.name("investors[\(index)]", investor)
        }
        checks.date("announced_on", announcedOn)
        return checks.issues
    }
}
