import KakusaEvents

/// The aggregator's hand-written encoders of valuation changes and changelog entries: the bytes `KakusaJSON.encode`
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

    /// Appends `entry` as the changelog keeps it: a positional array, `[funding_round_id, company, country, round,
    /// announced_on, valuation amount, valuation currency, valuation_usd, sequence]`, each as `KakusaJSON` writes it
    /// (`Entry` reads it back). Less than half the bytes of the entry as an object, whose keys had been most of what
    /// the aggregator wrote to its changelog.
    static func write(_ entry: ValuationChanges.Entry, into bytes: inout [UInt8]) {
        let bound =
            entryPunctuation + 3 * ByteCursor.numberBound + ByteCursor.stringBound(entry.fundingRoundID)
            + ByteCursor.stringBound(entry.company) + ByteCursor.stringBound(entry.country)
            + (entry.round.map(ByteCursor.stringBound) ?? 4) + ByteCursor.stringBound(entry.announcedOn)
            + ByteCursor.stringBound(entry.valuation.currency)
        ByteCursor.append(to: &bytes, bound: bound) { w in
            w.raw("[")
            w.string(entry.fundingRoundID)
            w.raw(",")
            w.string(entry.company)
            w.raw(",")
            w.string(entry.country)
            w.raw(",")
            w.optionalString(entry.round)
            w.raw(",")
            w.string(entry.announcedOn)
            w.raw(",")
            w.number(entry.valuation.amount)
            w.raw(",")
            w.string(entry.valuation.currency)
            w.raw(",")
            w.number(entry.valuationUSD)
            w.raw(",")
            w.number(entry.sequence)
            w.raw("]")
        }
    }

    /// More than the keys and punctuation of a change take (110 bytes).
    private static let keysBound = 128
    /// The brackets and commas of an entry (10 bytes).
    private static let entryPunctuation = 10
}
