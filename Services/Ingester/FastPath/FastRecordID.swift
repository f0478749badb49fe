import Crypto
import KakusaEvents

/// `derivedID`, `key` and slugs of the input records with ASCII fast paths; anything non-ASCII goes through
/// `Slug` and `RecordID` themselves. `FastPathTests` checks it agrees with the records' own `derivedID`.
enum FastRecordID {
    /// `Slug.make`: for ASCII, lower-case letters and digits with runs of anything else as one `-`.
    static func slug(_ name: String) -> String {
        var name = name
        let result: String? = name.withUTF8 { bytes in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var pendingDash = false
            for byte in bytes {
                guard byte < 0x80 else { return nil }
                let lower = byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte
                if (lower >= 0x61 && lower <= 0x7A) || (lower >= 0x30 && lower <= 0x39) {
                    if pendingDash && !out.isEmpty { out.append(0x2D) }
                    pendingDash = false
                    out.append(lower)
                } else {
                    pendingDash = true
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
        return result ?? Slug.make(name)
    }

    /// `RecordID.canonical(String)`: for ASCII, NFC changes nothing and trimming is by bytes.
    static func canonical(_ text: String?) -> String {
        guard var text else { return "" }
        // .none: not ASCII; .some(nil): already canonical; .some(trimmed).
        let ascii: String?? = text.withUTF8 { bytes -> String?? in
            for byte in bytes where byte >= 0x80 { return .none }
            var start = 0
            var end = bytes.count
            while start < end, isSpace(bytes[start]) { start += 1 }
            while end > start, isSpace(bytes[end - 1]) { end -= 1 }
            if start == 0 && end == bytes.count { return .some(nil) }
            return .some(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
        }
        switch ascii {
        case .none: return RecordID.canonical(text)
        case .some(.none): return text
        case .some(.some(let trimmed)): return trimmed
        }
    }

    /// `RecordID.canonical(Double)`: whole numbers below 10^15 print as integers.
    static func canonical(_ number: Double?) -> String {
        guard let number else { return "" }
        if number != 0, number.magnitude < 1e15, number == number.rounded(.towardZero) { return String(Int(number)) }
        return RecordID.canonical(number)
    }

    static func canonical(_ money: Money?) -> String {
        guard let money else { return "" }
        return "\(canonical(money.amount)) \(canonical(money.currency))"
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// `RecordID.derive` over bytes: the same canonical string and SHA-256 prefix, without string concatenation.
    static func derive(type: StaticString, fields: KeyValuePairs<StaticString, String>) -> String {
        var canonical: [UInt8] = []
        canonical.reserveCapacity(256)
        type.withUTF8Buffer { canonical.append(contentsOf: $0) }
        for (name, value) in fields {
            canonical.append(0x1F)
            name.withUTF8Buffer { canonical.append(contentsOf: $0) }
            canonical.append(0x3D)
            canonical.append(contentsOf: value.utf8)
        }
        let digest = SHA256.hash(data: canonical)
        var out = [UInt8](repeating: 0, count: 32)
        var index = 0
        for byte in digest.prefix(16) {
            out[index] = hex[Int(byte >> 4)]
            out[index + 1] = hex[Int(byte & 15)]
            index += 2
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }

    static func derivedID(_ r: FundingRound, slug: String) -> String {
        var investors = r.investors.map { canonical($0) }
        investors.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return derive(
            type: "funding-round.v1",
            fields: [
                "company": slug,
                "country": canonical(r.country),
                "round": canonical(r.round),
                "valuation": canonical(r.valuation),
                "raised": canonical(r.raised),
                "investors": investors.joined(separator: "\u{1E}"),
                "announced_on": canonical(r.announcedOn),
            ])
    }

    static func derivedID(_ r: PaperCount, slug: String) -> String {
        derive(
            type: "paper-count.v1",
            fields: [
                "institution": slug,
                "country": canonical(r.country),
                "year": String(r.year),
                "authors": String(r.authors),
                "rank": r.rank.map(String.init) ?? "",
            ])
    }

    static func derivedID(_ r: StockMove, symbol: String) -> String {
        derive(
            type: "stock-move.v1",
            fields: [
                "symbol": symbol,
                "kind": canonical(r.kind.rawValue),
                "at": canonical(r.at),
                "change_pct": canonical(r.changePct),
                "close": canonical(r.close),
                "market_cap_change": canonical(r.marketCapChange),
            ])
    }
}
