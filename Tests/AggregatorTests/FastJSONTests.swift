import KakusaTestSupport
import KakusaEvents
import Testing

@testable import Aggregator

@Suite struct FastJSONTests {
    static let amounts: [Double] = [
        0, 1, 1.5, 1_000_000, 3_300_000_000, 155_000_000_000 / 155, 1e15, 1e16, 1.2345e17, 1e21, 1e-7, 0.1 + 0.2,
        1000 / 7.25, 12_345.678, 999_999_999_999.99, -0.0, -1, -2.5e9, 9_999_999_999_999_998, -1e16,
        4_503_599_627_370_497, 9_007_199_254_740_992, -9_007_199_254_740_994,
    ]

    /// `FastJSON`'s bytes of an entry.
    func written(_ entry: ValuationChanges.Entry) -> [UInt8] {
        var bytes: [UInt8] = []
        FastJSON.write(entry, into: &bytes)
        return bytes
    }

    /// `FastJSON`'s bytes of the change `entry` makes after `previousUSD`, with the id the derivation gives it.
    func writtenChange(_ entry: ValuationChanges.Entry, after previousUSD: Double?) -> [UInt8] {
        var fields = CanonicalFields(type: "")
        ValuationChange.idFields(fundingRoundID: entry.fundingRoundID, into: &fields)
        var id: [UInt8] = []
        fields.appendID(to: &id)
        var bytes: [UInt8] = [0x2A]  // appended after what is there
        FastJSON.writeChange(of: entry, previousUSD: previousUSD, id: id, into: &bytes)
        #expect(bytes.first == 0x2A)
        return Array(bytes.dropFirst())
    }

    /// The positional array the changelog keeps, each field as `KakusaJSON` writes it.
    func positional(_ entry: ValuationChanges.Entry) throws -> [UInt8] {
        let fields: [[UInt8]] = [
            try KakusaJSON.encode(entry.fundingRoundID), try KakusaJSON.encode(entry.company),
            try KakusaJSON.encode(entry.country), try entry.round.map { try KakusaJSON.encode($0) } ?? Array("null".utf8),
            try KakusaJSON.encode(entry.announcedOn), try KakusaJSON.encode(entry.valuation.amount),
            try KakusaJSON.encode(entry.valuation.currency), try KakusaJSON.encode(entry.valuationUSD),
            try KakusaJSON.encode(entry.sequence),
        ]
        return Array("[".utf8) + Array(fields.joined(separator: Array(",".utf8))) + Array("]".utf8)
    }

    @Test func changelogEntriesArePositionalArraysOfKakusaJSONFieldsThatReadBack() throws {
        for (index, amount) in Self.amounts.enumerated() {
            let entry = ValuationChanges.Entry(
                fundingRoundID: "r\(index)", company: index % 2 == 0 ? "Moonshot \"AI\" \\ 月之暗面/\n\u{1}" : "Zhipu",
                country: "CN", round: index % 3 == 0 ? nil : "Series B", announcedOn: "2025-01-20",
                valuation: Money(amount: amount, currency: "JPY"), valuationUSD: amount / 155, sequence: index)
            #expect(written(entry) == (try positional(entry)), "\(amount)")
            #expect(try KakusaJSON.decode(ValuationChanges.Entry.self, from: written(entry)) == entry, "\(amount)")
        }
    }

    /// The object form (the changelog's format before, and the query API's) still reads; an array of another
    /// length does not.
    @Test func entriesReadAsObjectsTooButNotAsArraysOfAnotherLength() throws {
        let entry = ValuationChanges.Entry(
            fundingRoundID: "r1", company: "Zhipu", country: "CN", round: "Series B", announcedOn: "2025-01-20",
            valuation: Money(amount: 2e9, currency: "CNY"), valuationUSD: 2e9 / 7.25, sequence: 3)
        #expect(try KakusaJSON.decode(ValuationChanges.Entry.self, from: KakusaJSON.encode(entry)) == entry)
        let longer = Array(written(entry).dropLast()) + Array(",1]".utf8)
        #expect(throws: (any Error).self) { try KakusaJSON.decode(ValuationChanges.Entry.self, from: longer) }
        #expect(throws: (any Error).self) { try KakusaJSON.decode(ValuationChanges.Entry.self, from: Array(#"["r1","Zhipu"]"#.utf8)) }
    }

    /// The derivation writes a change straight from its history entry, with its id's digits from a reused buffer:
    /// the bytes `KakusaJSON` gives the change built from the entry, id and all.
    @Test func aChangeWrittenFromItsEntryIsTheChangeBuiltFromIt() throws {
        for (index, amount) in Self.amounts.enumerated() {
            let entry = ValuationChanges.Entry(
                fundingRoundID: index % 2 == 0 ? "r\(index)" : "Zhipu \"AI\" \\ 智谱/\n\u{1}-\(index)",
                company: index % 2 == 0 ? "Moonshot \"AI\" \\ 月之暗面/\n\u{1}" : "Zhipu", country: "CN",
                round: index % 3 == 0 ? nil : "Series B", announcedOn: "2025-01-20",
                valuation: Money(amount: amount, currency: "JPY"), valuationUSD: amount, sequence: index)
            for previousUSD in [nil, 0, amount / 3, amount / 465, -amount, 1.5] as [Double?] {
                let built = ValuationChanges.change(previousUSD: previousUSD, to: entry)
                #expect(
                    writtenChange(entry, after: previousUSD) == (try KakusaJSON.encode(built)),
                    "\(amount) after \(String(describing: previousUSD))")
            }
        }
    }

    /// Records are written into room counted beforehand (`ByteCursor` traps past it): strings of nothing but bytes
    /// to escape, long enough that no slack elsewhere in the record absorbs a short count.
    @Test func stringsOfNothingButEscapesFitTheirRoom() throws {
        let escapes = String(repeating: "\u{1}\"\\\n", count: 50)
        let entry = ValuationChanges.Entry(
            fundingRoundID: escapes, company: escapes, country: escapes, round: escapes, announcedOn: escapes,
            valuation: Money(amount: 1e300, currency: escapes), valuationUSD: -5e-324, sequence: .min)
        #expect(written(entry) == (try positional(entry)))
        #expect(try KakusaJSON.decode(ValuationChanges.Entry.self, from: written(entry)) == entry)
        let change = ValuationChanges.change(previousUSD: 1.5, to: entry)
        #expect(writtenChange(entry, after: 1.5) == (try KakusaJSON.encode(change)))
        var writer = JSONWriter()
        writer.string(escapes)
        #expect(writer.bytes == (try KakusaJSON.encode([escapes])).dropFirst().dropLast())
    }

    @Test func plainFundingRoundsDecodeAsKakusaJSONDecodesThem() throws {
        var rounds = SeedRecords.fundingRounds
        rounds[0].raised = Money(amount: 1.5e8, currency: "USD")
        rounds[1].source = "https://example.com/a/b"
        rounds[2].id = "given-id"
        rounds[2].company = "月之暗面 Moonshot"
        for round in rounds {
            let bytes = try KakusaJSON.encode(round)
            #expect(FastRecordParser.fundingRound(bytes) == round)
        }
        let spaced = Array(#" { "company" : "A" , "country":"CN","valuation":{"currency":"USD","amount":1e9},"investors":[], "announced_on":"2024-01-01","round":null } "#.utf8)
        #expect(FastRecordParser.fundingRound(spaced) == (try KakusaJSON.decode(FundingRound.self, from: spaced)))
    }

    @Test func anythingButPlainInputIsLeftToKakusaJSON() {
        let refused = [
            #"{"company":"A\"B","country":"CN","valuation":{"amount":1,"currency":"USD"},"investors":[],"announced_on":"2024-01-01"}"#,
            #"{"company":"A","country":"CN","valuation":{"amount":"1","currency":"USD"},"investors":[],"announced_on":"2024-01-01"}"#,
            #"{"company":"A","country":"CN","valuation":{"amount":1,"currency":"USD"},"announced_on":"2024-01-01"}"#,
            #"{"company":"A","company":"B","country":"CN","valuation":{"amount":1,"currency":"USD"},"investors":[],"announced_on":"2024-01-01"}"#,
            #"{"company":"A","country":"CN","valuation":{"amount":1,"currency":"USD"},"investors":[],"announced_on":"2024-01-01","extra":1}"#,
            #"{"company":"A","country":"CN","valuation":{"amount":1,"currency":"USD"},"investors":[],"announced_on":"2024-01-01"} x"#,
            "{", "", "[]",
        ]
        for text in refused {
            #expect(FastRecordParser.fundingRound(Array(text.utf8)) == nil, "\(text)")
        }
        // Invalid UTF-8 in a string: a round read from Kafka may hold any bytes, and the slow path names the fault.
        let plain = Array(#"{"company":"A?B","country":"CN","valuation":{"amount":1,"currency":"USD"},"investors":[],"announced_on":"2024-01-01"}"#.utf8)
        #expect(FastRecordParser.fundingRound(plain) != nil)
        #expect(FastRecordParser.fundingRound(plain.map { $0 == UInt8(ascii: "?") ? 0xFF : $0 }) == nil)
    }
}
