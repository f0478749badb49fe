import KakusaEvents

/// The aggregator's hand-written encoders of valuation changes and history entries: the bytes `KakusaJSON.encode`
/// writes, in one pass (Foundation's coders were ~60% of the CPU per record). Funding rounds are read by
/// `FastRecordParser`, shared with the ingester.
enum FastJSON {
    /// `KakusaJSON.encode(change)`.
    static func encode(_ change: ValuationChange) -> [UInt8] {
        var w = JSONWriter()
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
        return w.bytes
    }

    /// `KakusaJSON.encode(entry)` (an absent round is left out, as the synthesized encoder does).
    static func encode(_ entry: ValuationChanges.Entry) -> [UInt8] {
        var w = JSONWriter()
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
        return w.bytes
    }
}
