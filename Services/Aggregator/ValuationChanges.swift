import KakusaEvents

/// Every company's funding rounds, ordered by `announced_on`, and the valuation change each new round causes.
///
/// A round newer than (or as new as) the newest known one produces a change against it; the first round of a company
/// produces one with no previous valuation; an older round only joins the history; a round already known (same id)
/// changes nothing. Pure: the Kafka loop persists ``Entry`` values in the changelog and restores them with
/// ``restore(_:)``.
struct ValuationChanges: Sendable, Equatable {
    /// One funding round as the history keeps it.
    struct Entry: Codable, Sendable, Equatable, Hashable {
        var fundingRoundID: String
        var company: String
        var country: String
        var round: String?
        var announcedOn: String
        /// The valuation as reported.
        var valuation: Money
        /// The valuation converted to USD with the rates in force when the round was applied.
        var valuationUSD: Double
        /// Arrival order within the company, to order rounds announced on the same day.
        var sequence: Int

        enum CodingKeys: String, CodingKey {
            case fundingRoundID = "funding_round_id"
            case company, country, round
            case announcedOn = "announced_on"
            case valuation
            case valuationUSD = "valuation_usd"
            case sequence
        }

        /// The company slug.
        var slug: String { Slugs.make(company) }

        fileprivate func precedes(_ other: Entry) -> Bool {
            (announcedOn, sequence) < (other.announcedOn, other.sequence)
        }
    }

    /// What applying one round did.
    enum Outcome: Sendable, Equatable {
        /// A newest round: the change to publish and the entry to persist.
        case change(ValuationChange, Entry)
        /// An older round than the newest known: persisted in the history, nothing published.
        case late(Entry)
        /// Already known.
        case duplicate
    }

    /// Company slug → its rounds, oldest first.
    private(set) var histories: [String: [Entry]] = [:]

    /// Applies `round`, whose valuation is `valuationUSD` dollars.
    mutating func apply(_ round: FundingRound, valuationUSD: Double) -> Outcome {
        apply(round, slug: Slugs.make(round.company), valuationUSD: valuationUSD)
    }

    /// The same, for a caller that already has the company's slug.
    mutating func apply(_ round: FundingRound, slug: String, valuationUSD: Double) -> Outcome {
        let id = round.effectiveID
        // Mutated in place: a copy of the history per round was the costliest part of a long history.
        return Self.apply(round, id: id, valuationUSD: valuationUSD, to: &histories[slug, default: []])
    }

    private static func apply(
        _ round: FundingRound, id: String, valuationUSD: Double, to history: inout [Entry]
    ) -> Outcome {
        if history.contains(where: { $0.fundingRoundID == id }) { return .duplicate }
        let entry = Entry(
            fundingRoundID: id, company: round.company, country: round.country, round: round.round,
            announcedOn: round.announcedOn, valuation: round.valuation, valuationUSD: valuationUSD,
            sequence: history.count)
        let newest = history.last
        if let newest, entry.announcedOn < newest.announcedOn {
            insert(entry, into: &history)
            return .late(entry)
        }
        history.append(entry)
        return .change(change(from: newest, to: entry), entry)
    }

    /// Puts back an entry read from the changelog (any order; a known id is replaced).
    mutating func restore(_ entry: Entry) {
        Self.restore(entry, into: &histories[entry.slug, default: []])
    }

    /// In place: a copy of the history per entry made a restore quadratic in a company's rounds.
    private static func restore(_ entry: Entry, into history: inout [Entry]) {
        history.removeAll { $0.fundingRoundID == entry.fundingRoundID }
        insert(entry, into: &history)
    }

    /// A company's rounds, oldest first; nil for an unknown company.
    func history(slug: String) -> [Entry]? {
        histories[slug]
    }

    /// The change from `previous` (nil for the first round) to `current`, in USD, `change_pct` to two decimals.
    static func change(from previous: Entry?, to current: Entry) -> ValuationChange {
        var changePct: Double?
        if let previous, previous.valuationUSD > 0 {
            changePct = rounded((current.valuationUSD - previous.valuationUSD) / previous.valuationUSD * 100, places: 2)
        }
        return ValuationChange(
            company: current.company, country: current.country, round: current.round,
            announcedOn: current.announcedOn, previous: previous.map { .usd($0.valuationUSD) },
            current: .usd(current.valuationUSD), changePct: changePct, fundingRoundID: current.fundingRoundID)
    }

    private static func insert(_ entry: Entry, into history: inout [Entry]) {
        let index = history.firstIndex { entry.precedes($0) } ?? history.endIndex
        history.insert(entry, at: index)
    }
}
