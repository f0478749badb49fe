import KakusaEvents

/// A quick yes to "does `validate()` find nothing?" for the common record: ASCII names checked by bytes instead of
/// Foundation's trimming. Answers false whenever unsure; the caller then runs the record's own `validate()`.
enum FastValidation {
    static func isValid(_ r: FundingRound) -> Bool {
        guard asciiName(r.company), ISO3166.isAssigned(r.country), money(r.valuation, negative: false),
            RFC3339.isValidDate(r.announcedOn)
        else { return false }
        if let round = r.round, !asciiName(round) { return false }
        if let raised = r.raised, !money(raised, negative: false) { return false }
        return r.investors.allSatisfy(asciiName)
    }

    static func isValid(_ r: PaperCount) -> Bool {
        asciiName(r.institution) && ISO3166.isAssigned(r.country) && PaperCount.years.contains(r.year)
            && r.authors >= 0 && (r.rank ?? 1) >= 1
    }

    static func isValid(_ r: StockMove) -> Bool {
        guard asciiName(r.symbol), r.kind == .stock || r.kind == .index, RFC3339.isValidDateOrDateTime(r.at),
            r.changePct.isFinite
        else { return false }
        if let close = r.close, !(close.isFinite && close >= 0) { return false }
        if let change = r.marketCapChange, !money(change, negative: true) { return false }
        return true
    }

    /// ASCII with at least one letter or digit (so its slug is not empty); false (unsure) for anything else.
    private static func asciiName(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            var alphanumeric = false
            for byte in bytes {
                if byte >= 0x80 { return false }
                let lower = byte | 0x20
                if (lower >= 0x61 && lower <= 0x7A) || (byte >= 0x30 && byte <= 0x39) { alphanumeric = true }
            }
            return alphanumeric
        }
    }

    private static func money(_ money: Money, negative: Bool) -> Bool {
        money.amount.isFinite && (negative || money.amount >= 0) && ISO4217.isActive(money.currency)
    }
}
