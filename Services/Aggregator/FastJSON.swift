import KakusaEvents

/// The aggregator's hand-written encoders of valuation changes and history entries: the bytes `KakusaJSON.encode`
/// writes, in one pass (Foundation's coders were ~60% of the CPU per record). Funding rounds are read by
/// `FastRecordParser`, shared with the ingester.
enum FastJSON {
    /// Appends the change that the newest round `entry` makes after one valued `previousUSD` (nil for a first
    /// round), whose id's 32 hex digits are `id`: `KakusaJSON.encode(ValuationChanges.change(previousUSD:to: entry))`,
    /// without the change built (its id as a String, a heap allocation, was ~10% of the derivation). Through a
    /// `ByteCursor`: one capacity check a record, not one a piece.
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
            // The keys in `KakusaJSON`'s (sorted) order.
            w.raw("{\"announced_on\":")
            w.string(entry.announcedOn)
            w.raw(",\"change_pct\":")
            if let pct = ValuationChanges.changePct(previousUSD: previousUSD, to: entry.valuationUSD) {
                w.number(pct)
            } else {
                w.raw("null")
            }
            w.raw(",\"company\":")
            w.string(entry.company)
            w.raw(",\"country\":")
            w.string(entry.country)
            w.raw(",\"current\":")
            w.money(current)
            w.raw(",\"funding_round_id\":")
            w.string(entry.fundingRoundID)
            w.raw(",\"id\":\"")  // hex digits: nothing to escape
            id.withUnsafeBufferPointer { w.copy($0) }
            w.raw("\",\"previous\":")
            if let previous { w.money(previous) } else { w.raw("null") }
            w.raw(",\"round\":")
            w.optionalString(entry.round)
            w.raw("}")
        }
    }

    /// Appends `KakusaJSON.encode(entry)` to `bytes` (an absent round is left out, as the synthesized encoder does),
    /// as above.
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
