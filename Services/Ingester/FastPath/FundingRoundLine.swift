import KakusaEvents
import KakusaKafka

/// The ingester's fastest path, for a funding round as most inputs hold it: read as byte ranges of its line, checked,
/// identified and written into the batch without a String, an array or a `FundingRound`.
///
/// It says yes only to a plainly valid record: ASCII strings; names, countries and list elements without surrounding
/// whitespace; a known country and currency; finite, non-negative amounts; a real date. For anything else it appends
/// nothing and says no, and the record takes `RecordProcessor.appendIfFast` (and from there `KakusaJSON`), which
/// knows every case. What it writes is that path's output byte for byte (`FastPathTests` compares them).
struct FundingRoundLine {
    /// Reused from record to record, so a record allocates nothing.
    struct Scratch {
        var investors: [Range<Int>] = []
        var sortedInvestors: [Range<Int>] = []
        var canonical = CanonicalFields(type: "funding-round.v1")
        var id: [UInt8] = []
    }

    /// The keys read so far: a key twice sends the record the slow way.
    private struct SeenKeys {
        var bits: UInt16 = 0

        mutating func once(_ bit: UInt16) -> Bool {
            defer { bits |= 1 << bit }
            return bits & (1 << bit) == 0
        }
    }

    private struct Amount {
        var value: Double
        var currency: Range<Int>
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private let company: Range<Int>
    private let country: Range<Int>
    private let round: Range<Int>?
    private let valuation: Amount
    private let raised: Amount?
    private let announcedOn: Range<Int>
    private let source: Range<Int>?
    private let id: Range<Int>?

    /// Appends the record in `bytes` with its key, id and headers when it is plainly valid; false (nothing appended)
    /// sends it to the slower paths.
    static func append(
        _ bytes: UnsafeBufferPointer<UInt8>, scratch: inout Scratch, writer: MessageFactory.RecordWriter,
        to batch: inout ProducerBatch
    ) -> Bool {
        guard let line = FundingRoundLine(bytes, investors: &scratch.investors),
            line.isPlainlyValid(investors: scratch.investors)
        else { return false }
        line.effectiveID(&scratch)
        let investors = scratch.investors
        let id = scratch.id
        return writer.append(
            to: &batch, writeKey: { Slug.appendASCIISlug(of: line.slice(line.company), to: &$0) },
            writeID: { $0.append(contentsOf: id) },
            writeValue: { output in
                line.write(investors: investors, id: id, into: &output)
                return true
            })
    }

    /// Reads the line's fields as ranges; nil for anything but ASCII strings without escapes, plain numbers, and
    /// each known key once (what `FastRecordParser` reads, less its non-ASCII strings).
    private init?(_ bytes: UnsafeBufferPointer<UInt8>, investors: inout [Range<Int>]) {
        investors.removeAll(keepingCapacity: true)
        var scanner = JSONScanner(bytes)
        var seen = SeenKeys()
        var company: Range<Int>?, country: Range<Int>?, round: Range<Int>?, valuation: Amount?, raised: Amount?
        var hasInvestors = false, announcedOn: Range<Int>?, source: Range<Int>?, id: Range<Int>?
        let ok = scanner.object { s, key in
            if s.equals(key, "company") {
                company = seen.once(0) ? Self.ascii(&s) : nil
                return company != nil
            }
            if s.equals(key, "country") {
                country = seen.once(1) ? Self.ascii(&s) : nil
                return country != nil
            }
            if s.equals(key, "round") {
                guard seen.once(2) else { return false }
                if s.takeNull() { return true }
                round = Self.ascii(&s)
                return round != nil
            }
            if s.equals(key, "valuation") {
                valuation = seen.once(3) ? Self.amount(&s) : nil
                return valuation != nil
            }
            if s.equals(key, "raised") {
                guard seen.once(4) else { return false }
                if s.takeNull() { return true }
                raised = Self.amount(&s)
                return raised != nil
            }
            if s.equals(key, "investors") {
                hasInvestors = seen.once(5) && Self.asciiList(&s, into: &investors)
                return hasInvestors
            }
            if s.equals(key, "announced_on") {
                announcedOn = seen.once(6) ? Self.ascii(&s) : nil
                return announcedOn != nil
            }
            if s.equals(key, "source") {
                guard seen.once(7) else { return false }
                if s.takeNull() { return true }
                source = Self.ascii(&s)
                return source != nil
            }
            if s.equals(key, "id") {
                guard seen.once(8) else { return false }
                if s.takeNull() { return true }
                id = Self.ascii(&s)
                return id != nil
            }
            return false
        }
        scanner.skipSpace()
        guard ok, scanner.isAtEnd, let company, let country, let valuation, hasInvestors, let announcedOn else {
            return nil
        }
        self.bytes = bytes
        self.company = company
        self.country = country
        self.round = round
        self.valuation = valuation
        self.raised = raised
        self.announcedOn = announcedOn
        self.source = source
        self.id = id
    }

    /// What `FastValidation.isValid` accepts, with names in their canonical form (no surrounding whitespace).
    private func isPlainlyValid(investors: [Range<Int>]) -> Bool {
        guard isName(company), ISO3166.isAssigned(text(country)), isAmount(valuation),
            RFC3339.isValidDate(utf8: slice(announcedOn))
        else { return false }
        if let round, !isName(round) { return false }
        if let raised, !isAmount(raised) { return false }
        // A long list goes the decoding path (n log n there): the id's insertion sort below is for a handful.
        return investors.count <= Self.maxInvestors && investors.allSatisfy(isName)
    }

    /// The most investors a line may list to be taken here, as `CanonicalFields.list` sorts lists in place.
    static let maxInvestors = 32

    /// Sets `scratch.id` to the effective id: the given one when it has a non-blank byte, else the derived one (the
    /// canonical fields of `FundingRound.derivedID`, which the validity checks made the bytes as they are).
    private func effectiveID(_ scratch: inout Scratch) {
        scratch.id.removeAll(keepingCapacity: true)
        if let id, slice(id).contains(where: RecordID.isPlainASCII) {
            scratch.id.append(contentsOf: slice(id))
            return
        }
        scratch.sortedInvestors.removeAll(keepingCapacity: true)
        scratch.sortedInvestors.append(contentsOf: scratch.investors)
        scratch.sortedInvestors.withUnsafeMutableBufferPointer { sorted in
            // Insertion sort by UTF-8 bytes: a handful of investors.
            for i in sorted.indices.dropFirst() {
                var j = i
                while j > 0, slice(sorted[j]).lexicographicallyPrecedes(slice(sorted[j - 1])) {
                    sorted.swapAt(j, j - 1)
                    j -= 1
                }
            }
        }
        let sorted = scratch.sortedInvestors
        scratch.canonical.reset(type: "funding-round.v1")
        scratch.canonical.slug("company", asciiName: slice(company))
        scratch.canonical.canonical("country", utf8: slice(country))
        scratch.canonical.canonical("round", utf8: round.map(slice) ?? Self.empty)
        scratch.canonical.money("valuation", amount: valuation.value, canonicalCurrency: slice(valuation.currency))
        if let raised {
            scratch.canonical.money("raised", amount: raised.value, canonicalCurrency: slice(raised.currency))
        } else {
            scratch.canonical.canonical("raised", utf8: Self.empty)
        }
        scratch.canonical.joined("investors", count: sorted.count) { slice(sorted[$0]) }
        scratch.canonical.canonical("announced_on", utf8: slice(announcedOn))
        scratch.canonical.appendID(to: &scratch.id)
    }

    /// The record as `FastRecordEncoder` writes it: keys sorted, absent optionals left out, investors in their order.
    private func write(investors: [Range<Int>], id: [UInt8], into output: inout [UInt8]) {
        // The same strings, the id, at most two numbers grown from their spelling (25 bytes each) and the keys.
        ByteCursor.append(to: &output, bound: bytes.count + id.count + 320) { w in
            w.raw("{\"announced_on\":")
            quoted(announcedOn, &w)
            w.raw(",\"company\":")
            quoted(company, &w)
            w.raw(",\"country\":")
            quoted(country, &w)
            w.raw(",\"id\":\"")
            id.withUnsafeBufferPointer { w.copy($0) }
            w.raw("\",\"investors\":[")
            for (index, investor) in investors.enumerated() {
                if index > 0 { w.byte(UInt8(ascii: ",")) }
                quoted(investor, &w)
            }
            w.byte(UInt8(ascii: "]"))
            if let raised {
                w.raw(",\"raised\":")
                money(raised, &w)
            }
            if let round {
                w.raw(",\"round\":")
                quoted(round, &w)
            }
            if let source {
                w.raw(",\"source\":")
                quoted(source, &w)
            }
            w.raw(",\"valuation\":")
            money(valuation, &w)
            w.byte(UInt8(ascii: "}"))
        }
    }

    /// A string's bytes as they were: without escapes or control characters, JSON writes them unchanged.
    private func quoted(_ range: Range<Int>, _ w: inout ByteCursor) {
        w.byte(UInt8(ascii: "\""))
        w.copy(slice(range))
        w.byte(UInt8(ascii: "\""))
    }

    private func money(_ amount: Amount, _ w: inout ByteCursor) {
        w.raw("{\"amount\":")
        w.number(amount.value)
        w.raw(",\"currency\":")
        quoted(amount.currency, &w)
        w.byte(UInt8(ascii: "}"))
    }

    // MARK: Checks

    /// ASCII with a letter or digit, and no whitespace at either end.
    private func isName(_ range: Range<Int>) -> Bool {
        let name = slice(range)
        guard let first = name.first, let last = name.last, RecordID.isPlainASCII(first), RecordID.isPlainASCII(last)
        else { return false }
        return name.contains { byte in
            let lower = byte | 0x20
            return (lower >= 0x61 && lower <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
        }
    }

    private func isAmount(_ amount: Amount) -> Bool {
        amount.value.isFinite && amount.value >= 0 && ISO4217.isActive(text(amount.currency))
    }

    // MARK: Reading

    private static var empty: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: nil, count: 0) }

    private func slice(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[range])
    }

    /// A short code as a String (inline: no allocation).
    private func text(_ range: Range<Int>) -> String {
        String(decoding: slice(range), as: UTF8.self)
    }

    /// The range of an ASCII string without escapes.
    private static func ascii(_ scanner: inout JSONScanner) -> Range<Int>? {
        guard let range = scanner.stringRange() else { return nil }
        for index in range where scanner.bytes[index] >= 0x80 { return nil }
        return range
    }

    private static func asciiList(_ scanner: inout JSONScanner, into list: inout [Range<Int>]) -> Bool {
        guard scanner.take(0x5B) else { return false }
        if scanner.take(0x5D) { return true }
        repeat {
            guard let element = ascii(&scanner) else { return false }
            list.append(element)
        } while scanner.take(0x2C)
        return scanner.take(0x5D)
    }

    private static func amount(_ scanner: inout JSONScanner) -> Amount? {
        var value: Double?, currency: Range<Int>?
        let ok = scanner.object { s, key in
            if s.equals(key, "amount"), value == nil {
                value = s.number()
                return value != nil
            }
            if s.equals(key, "currency"), currency == nil {
                currency = ascii(&s)
                return currency != nil
            }
            return false
        }
        guard ok, let value, let currency else { return nil }
        return Amount(value: value, currency: currency)
    }
}
