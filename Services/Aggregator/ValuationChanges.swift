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

    /// The same before the change and the entry are built: the aggregator builds them (ids, JSON) in parallel, after
    /// the state, from the round; a few words per round, not two copies of an entry.
    enum Insertion: Sendable, Equatable {
        /// A newest round: the USD valuation of the newest before it (nil for the first round of a company), and
        /// the new entry's `sequence`.
        case newest(previousUSD: Double?, sequence: Int)
        /// An older round than the newest known, and its entry's `sequence`.
        case late(sequence: Int)
        case duplicate
    }

    /// One company's rounds, oldest first, and their ids.
    struct History: Sendable, Equatable {
        private(set) var entries: [Entry] = []
        /// The ids of `entries`: a duplicate is found without a scan of the whole history.
        private var ids: Set<String> = []

        /// Inserts `entry` in `announced_on` order (after the rounds of the same day it arrived after), unless its
        /// id is known; returns whether it was inserted.
        @discardableResult
        mutating func insert(_ entry: Entry) -> Bool {
            guard ids.insert(entry.fundingRoundID).inserted else { return false }
            if let last = entries.last, entry.precedes(last) {
                let index = entries.lastIndex { !entry.precedes($0) }.map { $0 + 1 } ?? entries.startIndex
                entries.insert(entry, at: index)
            } else {
                entries.append(entry)  // the usual case: the newest round
            }
            return true
        }

        mutating func remove(id: String) {
            guard ids.remove(id) != nil else { return }
            entries.removeAll { $0.fundingRoundID == id }
        }
    }

    /// Company slug → its rounds, for the companies whose slugs hash to one shard. A company's rounds all land in
    /// one shard, so the aggregator applies different shards' rounds on different cores, each in input order.
    struct Shard: Sendable, Equatable {
        fileprivate(set) var histories: [String: History] = [:]

        /// Applies the round of `entry` (its `sequence` is set here) to the history of `slug`, which must belong
        /// to this shard, without building the change.
        mutating func insert(_ entry: consuming Entry, slug: String) -> Insertion {
            // Mutated in place: a copy of the history per round was the costliest part of a long history.
            ValuationChanges.insert(entry, to: &histories[slug, default: History()])
        }
    }

    static let shardCount = 16
    private(set) var shards = [Shard](repeating: Shard(), count: shardCount)

    /// The shard that holds the company of `slug` (stable within a process, which is all the state needs).
    static func shard(of slug: String) -> Int {
        Int(UInt(bitPattern: slug.hashValue) % UInt(shardCount))
    }

    /// The companies with at least one round.
    var companyCount: Int { shards.reduce(0) { $0 + $1.histories.count } }

    /// Hands the shards to `body`, which may apply rounds to different shards at once (one core per shard).
    mutating func withShards<R>(_ body: (UnsafeMutableBufferPointer<Shard>) -> R) -> R {
        shards.withUnsafeMutableBufferPointer { body($0) }
    }

    /// Applies `round`, whose valuation is `valuationUSD` dollars.
    mutating func apply(_ round: FundingRound, valuationUSD: Double) -> Outcome {
        apply(round, slug: Slugs.make(round.company), valuationUSD: valuationUSD)
    }

    /// The same, for a caller that already has the company's slug.
    mutating func apply(_ round: FundingRound, slug: String, valuationUSD: Double) -> Outcome {
        var entry = Entry(round, id: round.effectiveID, valuationUSD: valuationUSD, sequence: 0)
        switch shards[Self.shard(of: slug)].insert(entry, slug: slug) {
        case .newest(let previousUSD, let sequence):
            entry.sequence = sequence
            return .change(Self.change(previousUSD: previousUSD, to: entry), entry)
        case .late(let sequence):
            entry.sequence = sequence
            return .late(entry)
        case .duplicate:
            return .duplicate
        }
    }

    fileprivate static func insert(_ entry: consuming Entry, to history: inout History) -> Insertion {
        let sequence = history.entries.count
        let newestDay = history.entries.last?.announcedOn
        let previousUSD = history.entries.last?.valuationUSD
        let isLate = newestDay.map { entry.announcedOn < $0 } ?? false
        entry.sequence = sequence
        guard history.insert(entry) else { return .duplicate }
        return isLate ? .late(sequence: sequence) : .newest(previousUSD: previousUSD, sequence: sequence)
    }

    /// Puts back an entry read from the changelog (any order; a known id is replaced).
    mutating func restore(_ entry: Entry) {
        // In place: a copy of the history per entry made a restore quadratic in a company's rounds.
        let slug = entry.slug
        shards[Self.shard(of: slug)].histories[slug, default: History()].remove(id: entry.fundingRoundID)
        shards[Self.shard(of: slug)].histories[slug, default: History()].insert(entry)
    }

    /// A company's rounds, oldest first; nil for an unknown company.
    func history(slug: String) -> [Entry]? {
        shards[Self.shard(of: slug)].histories[slug]?.entries
    }

    /// The change from a valuation of `previousUSD` dollars (nil for the first round) to `current`, in USD,
    /// `change_pct` to two decimals.
    static func change(previousUSD: Double?, to current: Entry) -> ValuationChange {
        ValuationChange(
            company: current.company, country: current.country, round: current.round,
            announcedOn: current.announcedOn, previous: previousUSD.map { .usd($0) },
            current: .usd(current.valuationUSD), changePct: changePct(previousUSD: previousUSD, to: current.valuationUSD),
            fundingRoundID: current.fundingRoundID)
    }

    /// `change_pct` from `previousUSD` to `currentUSD`: two decimals; nil for a first round (or a previous of 0).
    static func changePct(previousUSD: Double?, to currentUSD: Double) -> Double? {
        guard let previousUSD, previousUSD > 0 else { return nil }
        return rounded((currentUSD - previousUSD) / previousUSD * 100, places: 2)
    }
}

extension ValuationChanges.Entry {
    /// Reads an entry as the changelog holds it, a positional array (`[funding_round_id, company, country, round,
    /// announced_on, valuation amount, valuation currency, valuation_usd, sequence]`, see ``FastJSON``), or as an
    /// object with the keys of `CodingKeys` (the changelog's format before, and how the query API shows it).
    init(from decoder: any Decoder) throws {
        if var fields = try? decoder.unkeyedContainer() {
            fundingRoundID = try fields.decode(String.self)
            company = try fields.decode(String.self)
            country = try fields.decode(String.self)
            round = try fields.decodeIfPresent(String.self)
            announcedOn = try fields.decode(String.self)
            valuation = Money(amount: try fields.decode(Double.self), currency: try fields.decode(String.self))
            valuationUSD = try fields.decode(Double.self)
            sequence = try fields.decode(Int.self)
            guard fields.isAtEnd else {
                throw DecodingError.dataCorruptedError(
                    in: fields, debugDescription: "a valuation entry has 9 fields, this one more")
            }
            return
        }
        let fields = try decoder.container(keyedBy: CodingKeys.self)
        fundingRoundID = try fields.decode(String.self, forKey: .fundingRoundID)
        company = try fields.decode(String.self, forKey: .company)
        country = try fields.decode(String.self, forKey: .country)
        round = try fields.decodeIfPresent(String.self, forKey: .round)
        announcedOn = try fields.decode(String.self, forKey: .announcedOn)
        valuation = try fields.decode(Money.self, forKey: .valuation)
        valuationUSD = try fields.decode(Double.self, forKey: .valuationUSD)
        sequence = try fields.decode(Int.self, forKey: .sequence)
    }

    /// The history entry of `round`, whose id is `id`. (It and the decoder are in an extension: the memberwise
    /// initializer stays.)
    init(_ round: FundingRound, id: String, valuationUSD: Double, sequence: Int) {
        self.init(
            fundingRoundID: id, company: round.company, country: round.country, round: round.round,
            announcedOn: round.announcedOn, valuation: round.valuation, valuationUSD: valuationUSD,
            sequence: sequence)
    }
}
