import KakusaEvents

/// Reads the three input records straight from bytes, for the common case: known keys once each, strings without
/// escapes, plain numbers. Returns nil for anything else (unknown or repeated keys, escapes, missing fields, wrong
/// types, trailing bytes), and the caller falls back to `JSONDecoder`, which also produces the issues.
/// `FastPathTests` checks that it agrees with `JSONDecoder`.
enum FastRecordParser {
    static func fundingRound(_ bytes: UnsafeBufferPointer<UInt8>) -> FundingRound? {
        var scanner = JSONScanner(bytes)
        var seen: UInt16 = 0
        var company: String?, country: String?, round: String?, valuation: Money?, raised: Money?
        var investors: [String]?, announcedOn: String?, source: String?, id: String?
        let ok = scanner.object { s, key in
            func once(_ bit: UInt16) -> Bool {
                guard seen & bit == 0 else { return false }
                seen |= bit
                return true
            }
            if s.equals(key, "company") {
                guard once(1 << 0) else { return false }
                company = s.string()
                return company != nil
            } else if s.equals(key, "country") {
                guard once(1 << 1) else { return false }
                country = s.string()
                return country != nil
            } else if s.equals(key, "round") {
                guard once(1 << 2) else { return false }
                if s.takeNull() { return true }
                round = s.string()
                return round != nil
            } else if s.equals(key, "valuation") {
                guard once(1 << 3) else { return false }
                valuation = money(&s)
                return valuation != nil
            } else if s.equals(key, "raised") {
                guard once(1 << 4) else { return false }
                if s.takeNull() { return true }
                raised = money(&s)
                return raised != nil
            } else if s.equals(key, "investors") {
                guard once(1 << 5) else { return false }
                investors = s.stringArray()
                return investors != nil
            } else if s.equals(key, "announced_on") {
                guard once(1 << 6) else { return false }
                announcedOn = s.string()
                return announcedOn != nil
            } else if s.equals(key, "source") {
                guard once(1 << 7) else { return false }
                if s.takeNull() { return true }
                source = s.string()
                return source != nil
            } else if s.equals(key, "id") {
                guard once(1 << 8) else { return false }
                if s.takeNull() { return true }
                id = s.string()
                return id != nil
            }
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

    static func paperCount(_ bytes: UnsafeBufferPointer<UInt8>) -> PaperCount? {
        var scanner = JSONScanner(bytes)
        var seen: UInt16 = 0
        var institution: String?, country: String?, year: Int?, authors: Int?, rank: Int?
        var source: String?, id: String?
        let ok = scanner.object { s, key in
            func once(_ bit: UInt16) -> Bool {
                guard seen & bit == 0 else { return false }
                seen |= bit
                return true
            }
            if s.equals(key, "institution") {
                guard once(1 << 0) else { return false }
                institution = s.string()
                return institution != nil
            } else if s.equals(key, "country") {
                guard once(1 << 1) else { return false }
                country = s.string()
                return country != nil
            } else if s.equals(key, "year") {
                guard once(1 << 2) else { return false }
                year = s.number().flatMap { Int(exactly: $0) }
                return year != nil
            } else if s.equals(key, "authors") {
                guard once(1 << 3) else { return false }
                authors = s.number().flatMap { Int(exactly: $0) }
                return authors != nil
            } else if s.equals(key, "rank") {
                guard once(1 << 4) else { return false }
                if s.takeNull() { return true }
                rank = s.number().flatMap { Int(exactly: $0) }
                return rank != nil
            } else if s.equals(key, "source") {
                guard once(1 << 5) else { return false }
                if s.takeNull() { return true }
                source = s.string()
                return source != nil
            } else if s.equals(key, "id") {
                guard once(1 << 6) else { return false }
                if s.takeNull() { return true }
                id = s.string()
                return id != nil
            }
            return false
        }
        scanner.skipSpace()
        guard ok, scanner.isAtEnd, let institution, let country, let year, let authors else { return nil }
        return PaperCount(
            institution: institution, country: country, year: year, authors: authors, rank: rank, source: source,
            id: id)
    }

    static func stockMove(_ bytes: UnsafeBufferPointer<UInt8>) -> StockMove? {
        var scanner = JSONScanner(bytes)
        var seen: UInt16 = 0
        var symbol: String?, name: String?, kind: String?, at: String?, changePct: Double?, close: Double?
        var marketCapChange: Money?, source: String?, id: String?
        let ok = scanner.object { s, key in
            func once(_ bit: UInt16) -> Bool {
                guard seen & bit == 0 else { return false }
                seen |= bit
                return true
            }
            if s.equals(key, "symbol") {
                guard once(1 << 0) else { return false }
                symbol = s.string()
                return symbol != nil
            } else if s.equals(key, "name") {
                guard once(1 << 1) else { return false }
                if s.takeNull() { return true }
                name = s.string()
                return name != nil
            } else if s.equals(key, "kind") {
                guard once(1 << 2) else { return false }
                kind = s.string()
                return kind != nil
            } else if s.equals(key, "at") {
                guard once(1 << 3) else { return false }
                at = s.string()
                return at != nil
            } else if s.equals(key, "change_pct") {
                guard once(1 << 4) else { return false }
                changePct = s.number()
                return changePct != nil
            } else if s.equals(key, "close") {
                guard once(1 << 5) else { return false }
                if s.takeNull() { return true }
                close = s.number()
                return close != nil
            } else if s.equals(key, "market_cap_change") {
                guard once(1 << 6) else { return false }
                if s.takeNull() { return true }
                marketCapChange = money(&s)
                return marketCapChange != nil
            } else if s.equals(key, "source") {
                guard once(1 << 7) else { return false }
                if s.takeNull() { return true }
                source = s.string()
                return source != nil
            } else if s.equals(key, "id") {
                guard once(1 << 8) else { return false }
                if s.takeNull() { return true }
                id = s.string()
                return id != nil
            }
            return false
        }
        scanner.skipSpace()
        guard ok, scanner.isAtEnd, let symbol, let kind, let at, let changePct else { return nil }
        return StockMove(
            symbol: symbol, name: name, kind: StockMove.Kind(rawValue: kind), at: at, changePct: changePct,
            close: close, marketCapChange: marketCapChange, source: source, id: id)
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
