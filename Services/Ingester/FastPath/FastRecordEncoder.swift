import KakusaEvents

/// Writes the three input records as `KakusaJSON.encode` does (sorted keys, absent optionals left out, numbers as
/// Foundation writes them), without an encoder. Returns nil for a string with control characters, whose escaping
/// is left to `KakusaJSON`. `FastPathTests` checks the bytes are equal.
enum FastRecordEncoder {
    static func encode(_ r: FundingRound) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        var ok = true
        key("{\"announced_on\":", &out); ok = ok && string(r.announcedOn, &out)
        key(",\"company\":", &out); ok = ok && string(r.company, &out)
        key(",\"country\":", &out); ok = ok && string(r.country, &out)
        if let id = r.id { key(",\"id\":", &out); ok = ok && string(id, &out) }
        key(",\"investors\":[", &out)
        for (index, investor) in r.investors.enumerated() {
            if index > 0 { out.append(0x2C) }
            ok = ok && string(investor, &out)
        }
        out.append(0x5D)
        if let raised = r.raised { key(",\"raised\":", &out); ok = ok && money(raised, &out) }
        if let round = r.round { key(",\"round\":", &out); ok = ok && string(round, &out) }
        if let source = r.source { key(",\"source\":", &out); ok = ok && string(source, &out) }
        key(",\"valuation\":", &out); ok = ok && money(r.valuation, &out)
        out.append(0x7D)
        return ok ? out : nil
    }

    static func encode(_ r: PaperCount) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(200)
        var ok = true
        key("{\"authors\":", &out); integer(r.authors, &out)
        key(",\"country\":", &out); ok = ok && string(r.country, &out)
        if let id = r.id { key(",\"id\":", &out); ok = ok && string(id, &out) }
        key(",\"institution\":", &out); ok = ok && string(r.institution, &out)
        if let rank = r.rank { key(",\"rank\":", &out); integer(rank, &out) }
        if let source = r.source { key(",\"source\":", &out); ok = ok && string(source, &out) }
        key(",\"year\":", &out); integer(r.year, &out)
        out.append(0x7D)
        return ok ? out : nil
    }

    static func encode(_ r: StockMove) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        var ok = true
        key("{\"at\":", &out); ok = ok && string(r.at, &out)
        key(",\"change_pct\":", &out); ok = ok && number(r.changePct, &out)
        if let close = r.close { key(",\"close\":", &out); ok = ok && number(close, &out) }
        if let id = r.id { key(",\"id\":", &out); ok = ok && string(id, &out) }
        key(",\"kind\":", &out); ok = ok && string(r.kind.rawValue, &out)
        if let change = r.marketCapChange { key(",\"market_cap_change\":", &out); ok = ok && money(change, &out) }
        if let name = r.name { key(",\"name\":", &out); ok = ok && string(name, &out) }
        if let source = r.source { key(",\"source\":", &out); ok = ok && string(source, &out) }
        key(",\"symbol\":", &out); ok = ok && string(r.symbol, &out)
        out.append(0x7D)
        return ok ? out : nil
    }

    @inline(__always)
    private static func key(_ text: StaticString, _ out: inout [UInt8]) {
        text.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    private static func money(_ money: Money, _ out: inout [UInt8]) -> Bool {
        key("{\"amount\":", &out)
        guard number(money.amount, &out) else { return false }
        key(",\"currency\":", &out)
        guard string(money.currency, &out) else { return false }
        out.append(0x7D)
        return true
    }

    private static func string(_ text: String, _ out: inout [UInt8]) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            out.append(0x22)
            for byte in bytes {
                if byte < 0x20 { return false }
                if byte == 0x22 || byte == 0x5C { out.append(0x5C) }
                out.append(byte)
            }
            out.append(0x22)
            return true
        }
    }

    private static func integer(_ value: Int, _ out: inout [UInt8]) {
        out.append(contentsOf: String(value).utf8)
    }

    /// Foundation writes a Double as its `description` without a trailing `.0`.
    private static func number(_ value: Double, _ out: inout [UInt8]) -> Bool {
        guard value.isFinite else { return false }
        if value != 0, value.magnitude < 1e15, value == value.rounded(.towardZero) {
            integer(Int(value), &out)
            return true
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        out.append(contentsOf: text.utf8)
        return true
    }
}
