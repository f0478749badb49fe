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
        ByteCursor.append(to: &bytes, bound: bound) { w in write(change, with: &w) }
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

    private static func write(_ change: ValuationChange, with w: inout ByteCursor) {
        w.raw("{\"announced_on\":")
        w.string(change.announcedOn)
        w.raw(",\"change_pct\":")
        if let pct = change.changePct { w.number(pct) } else { w.raw("null") }
        w.raw(",\"company\":")
        w.string(change.company)
        w.raw(",\"country\":")
        w.string(change.country)
        w.raw(",\"current\":")
        w.money(change.current)
        w.raw(",\"funding_round_id\":")
        w.string(change.fundingRoundID)
        w.raw(",\"id\":")
        w.string(change.id)
        w.raw(",\"previous\":")
        if let previous = change.previous { w.money(previous) } else { w.raw("null") }
        w.raw(",\"round\":")
        w.optionalString(change.round)
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
