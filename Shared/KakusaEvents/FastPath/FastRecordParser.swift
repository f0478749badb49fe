/// Reads the three input records straight from bytes, for the common case: known keys once each, strings without
/// escapes, plain numbers. Returns nil for anything else (unknown or repeated keys, escapes, missing fields, wrong
/// types, trailing bytes, invalid UTF-8), and the caller falls back to `KakusaJSON`, which also produces the issues.
/// Used by the ingester and the aggregator; `FastPathTests` checks that it agrees with `JSONDecoder`.
package enum FastRecordParser {
    package static func fundingRound(_ bytes: UnsafeBufferPointer<UInt8>) -> FundingRound? {
        var scanner = JSONScanner(bytes)
        var fields = Fields()
        var company: String?, country: String?, round: String?, valuation: Money?, raised: Money?
        var investors: [String]?, announcedOn: String?, source: String?, id: String?
        let ok = scanner.object { s, key in
            if s.equals(key, "company") { return fields.read(0, &company, &s) { $0.string() } }
            if s.equals(key, "country") { return fields.read(1, &country, &s) { $0.string() } }
            if s.equals(key, "round") { return fields.read(2, &round, &s, nullable: true) { $0.string() } }
            if s.equals(key, "valuation") { return fields.read(3, &valuation, &s) { money(&$0) } }
            if s.equals(key, "raised") { return fields.read(4, &raised, &s, nullable: true) { money(&$0) } }
            if s.equals(key, "investors") { return fields.read(5, &investors, &s) { $0.stringArray() } }
            if s.equals(key, "announced_on") { return fields.read(6, &announcedOn, &s) { $0.string() } }
            if s.equals(key, "source") { return fields.read(7, &source, &s, nullable: true) { $0.string() } }
            if s.equals(key, "id") { return fields.read(8, &id, &s, nullable: true) { $0.string() } }
            return false
        }
        scanner.skipSpace()
        guard ok, scanner.isAtEnd, let company, let country, let valuation, let investors, let announcedOn else {
            return nil
        }
        return FundingRound(
            company: company, country: country, round: round, valuation: valuation, raised: raised,
            investors: investors, announcedOn: announcedOn, source: source, id: id)
    }

    package static func paperCount(_ bytes: UnsafeBufferPointer<UInt8>) -> PaperCount? {
        var scanner = JSONScanner(bytes)
        var fields = Fields()
        var institution: String?, country: String?, year: Int?, authors: Int?, rank: Int?
        var source: String?, id: String?
        let ok = scanner.object { s, key in
            if s.equals(key, "institution") { return fields.read(0, &institution, &s) { $0.string() } }
            if s.equals(key, "country") { return fields.read(1, &country, &s) { $0.string() } }
            if s.equals(key, "year") { return fields.read(2, &year, &s) { $0.integer() } }
            if s.equals(key, "authors") { return fields.read(3, &authors, &s) { $0.integer() } }
            if s.equals(key, "rank") { return fields.read(4, &rank, &s, nullable: true) { $0.integer() } }
            if s.equals(key, "source") { return fields.read(5, &source, &s, nullable: true) { $0.string() } }
            if s.equals(key, "id") { return fields.read(6, &id, &s, nullable: true) { $0.string() } }
            return false
        }
        scanner.skipSpace()
        guard ok, scanner.isAtEnd, let institution, let country, let year, let authors else { return nil }
        return PaperCount(
            institution: institution, country: country, year: year, authors: authors, rank: rank, source: source,
            id: id)
    }

    package static func stockMove(_ bytes: UnsafeBufferPointer<UInt8>) -> StockMove? {
        var scanner = JSONScanner(bytes)
        var fields = Fields()
        var symbol: String?, name: String?, kind: String?, at: String?, changePct: Double?, close: Double?
        var marketCapChange: Money?, source: String?, id: String?
        let ok = scanner.object { s, key in
            if s.equals(key, "symbol") { return fields.read(0, &symbol, &s) { $0.string() } }
            if s.equals(key, "name") { return fields.read(1, &name, &s, nullable: true) { $0.string() } }
            if s.equals(key, "kind") { return fields.read(2, &kind, &s) { $0.string() } }
            if s.equals(key, "at") { return fields.read(3, &at, &s) { $0.string() } }
            if s.equals(key, "change_pct") { return fields.read(4, &changePct, &s) { $0.number() } }
            if s.equals(key, "close") { return fields.read(5, &close, &s, nullable: true) { $0.number() } }
            if s.equals(key, "market_cap_change") {
                return fields.read(6, &marketCapChange, &s, nullable: true) { money(&$0) }
            }
            if s.equals(key, "source") { return fields.read(7, &source, &s, nullable: true) { $0.string() } }
            if s.equals(key, "id") { return fields.read(8, &id, &s, nullable: true) { $0.string() } }
            return false
        }
        scanner.skipSpace()
        guard ok, scanner.isAtEnd, let symbol, let kind, let at, let changePct else { return nil }
        return StockMove(
            symbol: symbol, name: name, kind: StockMove.Kind(rawValue: kind), at: at, changePct: changePct,
            close: close, marketCapChange: marketCapChange, source: source, id: id)
    }

    /// `fundingRound` over an array.
    package static func fundingRound(_ bytes: [UInt8]) -> FundingRound? {
        bytes.withUnsafeBufferPointer { fundingRound($0) }
    }

    /// The keys read so far: a key twice sends the record the slow way.
    private struct Fields {
        var seen: UInt16 = 0

        /// Reads the value of field number `bit` with `parse` (a `null` leaves a nullable field nil); false for a
        /// repeated key or a value `parse` refuses.
        @inline(__always)
        mutating func read<T>(
            _ bit: Int, _ value: inout T?, _ scanner: inout JSONScanner, nullable: Bool = false,
            _ parse: (inout JSONScanner) -> T?
        ) -> Bool {
            guard seen & (1 << bit) == 0 else { return false }
            seen |= 1 << bit
            if nullable && scanner.takeNull() { return true }
            value = parse(&scanner)
            return value != nil
        }
    }

    private static func money(_ s: inout JSONScanner) -> Money? {
        var amount: Double?, currency: String?
        let ok = s.object { s, key in
            if s.equals(key, "amount"), amount == nil {
                amount = s.number()
                return amount != nil
            } else if s.equals(key, "currency"), currency == nil {
                currency = s.string()
                return currency != nil
            }
            return false
        }
        guard ok, let amount, let currency else { return nil }
        return Money(amount: amount, currency: currency)
    }
}
