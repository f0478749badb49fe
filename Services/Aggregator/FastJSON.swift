import KakusaEvents

/// The aggregator's hand-written encoders of valuation changes and history entries: the bytes `KakusaJSON.encode`
/// writes, in one pass (Foundation's coders were ~60% of the CPU per record). Funding rounds are read by
/// `FastRecordParser`, shared with the ingester.
enum FastJSON {
    /// `KakusaJSON.encode(change)`.
    static func encode(_ change: ValuationChange) -> [UInt8] {
        var bytes: [UInt8] = []
        write(change, into: &bytes)
        return bytes
    }

    /// `KakusaJSON.encode(entry)` (an absent round is left out, as the synthesized encoder does).
    static func encode(_ entry: ValuationChanges.Entry) -> [UInt8] {
        var bytes: [UInt8] = []
        write(entry, into: &bytes)
        return bytes
    }

    /// Appends `KakusaJSON.encode(change)` to `bytes`, through a `ByteCursor`: one capacity check a record, not
    /// one a piece (the pieces' appends had been about a tenth of the derivation's last pass).
    static func write(_ change: ValuationChange, into bytes: inout [UInt8]) {
        let bound =
            keysBound + ByteCursor.numberBound + ByteCursor.stringBound(change.announcedOn)
            + ByteCursor.stringBound(change.company) + ByteCursor.stringBound(change.country)
            + ByteCursor.moneyBound(change.current) + ByteCursor.stringBound(change.fundingRoundID)
            + ByteCursor.stringBound(change.id) + (change.previous.map(ByteCursor.moneyBound) ?? 4)
            + (change.round.map(ByteCursor.stringBound) ?? 4)
        ByteCursor.append(to: &bytes, bound: bound) { w in
            writeChange(
                announcedOn: change.announcedOn, changePct: change.changePct, company: change.company,
                country: change.country, current: change.current, fundingRoundID: change.fundingRoundID,
                previous: change.previous, round: change.round, with: &w
            ) { $0.string(change.id) }
        }
    }

    /// Appends the change that the newest round `entry` makes after one valued `previousUSD` (nil for a first
    /// round), whose id's 32 hex digits are `id`: the bytes of `write(ValuationChanges.change(previousUSD:to:
    /// entry))`, without the change built (its id as a String, a heap allocation, was ~10% of the derivation).
    static func writeChange(
        of entry: ValuationChanges.Entry, previousUSD: Double?, id: [UInt8], into bytes: inout [UInt8]
    ) {
        let current = Money.usd(entry.valuationUSD)
        let previous = previousUSD.map(Money.usd)
        let bound =
            keysBound + ByteCursor.numberBound + ByteCursor.stringBound(entry.announcedOn)
            + ByteCursor.stringBound(entry.company) + ByteCursor.stringBound(entry.country)
            + ByteCursor.moneyBound(current) + ByteCursor.stringBound(entry.fundingRoundID) + id.count + 2
            + (previous.map(ByteCursor.moneyBound) ?? 4) + (entry.round.map(ByteCursor.stringBound) ?? 4)
        ByteCursor.append(to: &bytes, bound: bound) { w in
            writeChange(
                announcedOn: entry.announcedOn,
                changePct: ValuationChanges.changePct(previousUSD: previousUSD, to: entry.valuationUSD),
                company: entry.company, country: entry.country, current: current, fundingRoundID: entry.fundingRoundID,
                previous: previous, round: entry.round, with: &w
            ) { w in
                w.byte(UInt8(ascii: "\""))  // hex digits: nothing to escape
                id.withUnsafeBufferPointer { w.copy($0) }
                w.byte(UInt8(ascii: "\""))
            }
        }
    }

    /// Appends `KakusaJSON.encode(entry)` to `bytes`, as above.
    static func write(_ entry: ValuationChanges.Entry, into bytes: inout [UInt8]) {
        let bound =
            keysBound + 2 * ByteCursor.numberBound + ByteCursor.stringBound(entry.announcedOn)
            + ByteCursor.stringBound(entry.company) + ByteCursor.stringBound(entry.country)
            + ByteCursor.stringBound(entry.fundingRoundID) + (entry.round.map(ByteCursor.stringBound) ?? 0)
            + ByteCursor.moneyBound(entry.valuation)
        ByteCursor.append(to: &bytes, bound: bound) { w in write(entry, with: &w) }
    }

    /// More than the keys and punctuation of either record take (111 and 110 bytes).
    private static let keysBound = 128

    /// A change's keys in `KakusaJSON`'s (sorted) order, its id written by `id`.
    private static func writeChange(
        announcedOn: String, changePct: Double?, company: String, country: String, current: Money,
        fundingRoundID: String, previous: Money?, round: String?, with w: inout ByteCursor,
        id: (inout ByteCursor) -> Void
    ) {
        w.raw("{\"announced_on\":")
        w.string(announcedOn)
        w.raw(",\"change_pct\":")
        if let changePct { w.number(changePct) } else { w.raw("null") }
        w.raw(",\"company\":")
        w.string(company)
        w.raw(",\"country\":")
        w.string(country)
        w.raw(",\"current\":")
        w.money(current)
        w.raw(",\"funding_round_id\":")
        w.string(fundingRoundID)
        w.raw(",\"id\":")
        id(&w)
        w.raw(",\"previous\":")
        if let previous { w.money(previous) } else { w.raw("null") }
        w.raw(",\"round\":")
        w.optionalString(round)
        w.raw("}")
    }

    private static func write(_ entry: ValuationChanges.Entry, with w: inout ByteCursor) {
        w.raw("{\"announced_on\":")
        w.string(entry.announcedOn)
        w.raw(",\"company\":")
        w.string(entry.company)
        w.raw(",\"country\":")
        w.string(entry.country)
        w.raw(",\"funding_round_id\":")
        w.string(entry.fundingRoundID)
        if let round = entry.round {
            w.raw(",\"round\":")
            w.string(round)
        }
        w.raw(",\"sequence\":")
        w.number(entry.sequence)
        w.raw(",\"valuation\":")
        w.money(entry.valuation)
        w.raw(",\"valuation_usd\":")
        w.number(entry.valuationUSD)
        w.raw("}")
    }
}
