import KakusaEvents

/// Hand-written JSON for the aggregator's hot path: decoding funding rounds and encoding valuation changes and
/// history entries. Foundation's coders cost ~60% of the CPU per record; these do the same in a single pass.
///
/// The decoder takes only plain input (no escapes, no duplicate keys, the expected types) and answers nil for
/// anything else: the caller then decodes with `KakusaJSON`, whose errors are the ones dead letters report. The
/// encoders write the bytes `KakusaJSON.encode` writes (sorted keys, slashes unescaped); tests compare them.
enum FastJSON {
    // MARK: decoding

    /// A funding round, or nil when the input is anything but plain (the caller falls back to `KakusaJSON`).
    static func fundingRound(_ bytes: [UInt8]) -> FundingRound? {
        bytes.withUnsafeBufferPointer { buffer in
            var reader = Reader(bytes: buffer)
            return reader.fundingRound()
        }
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func skipSpace() {
            while i < bytes.count {
                switch bytes[i] {
                case 0x20, 0x09, 0x0A, 0x0D: i += 1
                default: return
                }
            }
        }

        mutating func expect(_ byte: UInt8) -> Bool {
            skipSpace()
            guard i < bytes.count, bytes[i] == byte else { return false }
            i += 1
            return true
        }

        mutating func peek() -> UInt8? {
            skipSpace()
            return i < bytes.count ? bytes[i] : nil
        }

        /// A string without escapes, as valid UTF-8.
        mutating func string() -> String? {
            guard expect(UInt8(ascii: "\"")) else { return nil }
            let start = i
            var ascii = true
            while i < bytes.count {
                let byte = bytes[i]
                if byte == UInt8(ascii: "\"") {
                    defer { i += 1 }
                    let text = UnsafeBufferPointer(rebasing: bytes[start..<i])
                    return ascii ? String(decoding: text, as: UTF8.self) : String(validating: text, as: UTF8.self)
                }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                if byte >= 0x80 { ascii = false }
                i += 1
            }
            return nil
        }

        mutating func null() -> Bool {
            skipSpace()
            guard i + 4 <= bytes.count, bytes[i] == UInt8(ascii: "n"), bytes[i + 1] == UInt8(ascii: "u"),
                bytes[i + 2] == UInt8(ascii: "l"), bytes[i + 3] == UInt8(ascii: "l")
            else { return false }
            i += 4
            return true
        }

        mutating func number() -> Double? {
            skipSpace()
            let start = i
            while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
                    UInt8(ascii: "e"), UInt8(ascii: "E"):
                    i += 1
                default:
                    let digits = UnsafeBufferPointer(rebasing: bytes[start..<i])
                    guard i > start, let text = String(validating: digits, as: UTF8.self),
                        let value = Double(text), value.isFinite
                    else { return nil }
                    return value
                }
            }
            return nil
        }

        mutating func optionalString() -> String?? {
            if null() { return .some(nil) }
            guard let value = string() else { return nil }
            return .some(value)
        }

        /// `{"amount": N, "currency": "C"}` in any order; other keys are not plain.
        mutating func money() -> Money? {
            guard expect(UInt8(ascii: "{")) else { return nil }
            var amount: Double?
            var currency: String?
            if peek() == UInt8(ascii: "}") { return nil }
            repeat {
                guard let key = string(), expect(UInt8(ascii: ":")) else { return nil }
                switch key {
                case "amount" where amount == nil: guard let v = number() else { return nil }; amount = v
                case "currency" where currency == nil: guard let v = string() else { return nil }; currency = v
                default: return nil
                }
            } while expect(UInt8(ascii: ","))
            guard expect(UInt8(ascii: "}")), let amount, let currency else { return nil }
            return Money(amount: amount, currency: currency)
        }

        mutating func strings() -> [String]? {
            guard expect(UInt8(ascii: "[")) else { return nil }
            var values: [String] = []
            if expect(UInt8(ascii: "]")) { return values }
            repeat {
                guard let value = string() else { return nil }
                values.append(value)
            } while expect(UInt8(ascii: ","))
            return expect(UInt8(ascii: "]")) ? values : nil
        }

        mutating func fundingRound() -> FundingRound? {
            guard expect(UInt8(ascii: "{")) else { return nil }
            var company: String?
            var country: String?
            var round: String??
            var valuation: Money?
            var raised: Money??
            var investors: [String]?
            var announcedOn: String?
            var source: String??
            var id: String??
            if peek() == UInt8(ascii: "}") { return nil }
            repeat {
                guard let key = string(), expect(UInt8(ascii: ":")) else { return nil }
                switch key {
                case "company" where company == nil: guard let v = string() else { return nil }; company = v
                case "country" where country == nil: guard let v = string() else { return nil }; country = v
                case "round" where round == nil: guard let v = optionalString() else { return nil }; round = v
                case "valuation" where valuation == nil: guard let v = money() else { return nil }; valuation = v
                case "raised" where raised == nil:
                    if null() {
                        raised = .some(nil)
                    } else {
                        guard let v = money() else { return nil }
                        raised = .some(v)
                    }
                case "investors" where investors == nil: guard let v = strings() else { return nil }; investors = v
                case "announced_on" where announcedOn == nil:
                    guard let v = string() else { return nil }
                    announcedOn = v
                case "source" where source == nil: guard let v = optionalString() else { return nil }; source = v
                case "id" where id == nil: guard let v = optionalString() else { return nil }; id = v
                default: return nil
                }
            } while expect(UInt8(ascii: ","))
            guard expect(UInt8(ascii: "}")) else { return nil }
            skipSpace()
            guard i == bytes.count, let company, let country, let valuation, let investors, let announcedOn else {
                return nil
            }
            return FundingRound(
                company: company, country: country, round: round ?? nil, valuation: valuation, raised: raised ?? nil,
                investors: investors, announcedOn: announcedOn, source: source ?? nil, id: id ?? nil)
        }
    }

    // MARK: encoding

    /// A JSON text under construction.
    struct Writer {
        var bytes: [UInt8] = []

        init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

        mutating func raw(_ text: StaticString) {
            text.withUTF8Buffer { bytes.append(contentsOf: $0) }
        }

        /// A string as `JSONEncoder` writes it with `.withoutEscapingSlashes`.
        mutating func string(_ value: String) {
            bytes.append(UInt8(ascii: "\""))
            // Contiguous UTF-8 (native strings are): one scan and one copy, no per-byte iterator.
            let plain = value.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
                guard !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                    return false
                }
                bytes.append(contentsOf: utf8)
                return true
            }
            if plain == true {
                bytes.append(UInt8(ascii: "\""))
                return
            }
            if plain == nil, !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                bytes.append(contentsOf: value.utf8)
                bytes.append(UInt8(ascii: "\""))
                return
            }
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\""): raw("\\\"")
                case UInt8(ascii: "\\"): raw("\\\\")
                case 0x08: raw("\\b")
                case 0x0C: raw("\\f")
                case 0x0A: raw("\\n")
                case 0x0D: raw("\\r")
                case 0x09: raw("\\t")
                case 0..<0x20:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    raw("\\u00")
                    bytes.append(hex[Int(byte >> 4)])
                    bytes.append(hex[Int(byte & 0xF)])
                default: bytes.append(byte)
                }
            }
            bytes.append(UInt8(ascii: "\""))
        }

        mutating func optionalString(_ value: String?) {
            if let value { string(value) } else { raw("null") }
        }

        /// A number as `JSONEncoder` writes a `Double`: its description, without a trailing `.0`.
        mutating func number(_ value: Double) {
            // A whole number below 2^53 is its digits in `description` (then ".0", left out here); -0 is not.
            if value == value.rounded(.towardZero), abs(value) < 9_007_199_254_740_992, value != 0 || value.sign == .plus {
                number(Int(value))
                return
            }
            var text = value.description
            if text.hasSuffix(".0") { text.removeLast(2) }
            bytes.append(contentsOf: text.utf8)
        }

        mutating func number(_ value: Int) {
            guard value != .min else {
                bytes.append(contentsOf: String(value).utf8)
                return
            }
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            var rest = value.magnitude
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for every Int's digits
            withUnsafeMutableBytes(of: &digits) { buffer in
                var end = buffer.count
                repeat {
                    end -= 1
                    buffer[end] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                } while rest > 0
                bytes.append(contentsOf: buffer[end...])
            }
        }

        mutating func money(_ money: Money) {
            raw("{\"amount\":")
            number(money.amount)
            raw(",\"currency\":")
            string(money.currency)
            raw("}")
        }
    }

    /// `KakusaJSON.encode(change)`.
    static func encode(_ change: ValuationChange) -> [UInt8] {
        var w = Writer()
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
        var w = Writer()
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
