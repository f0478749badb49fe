import KakusaTestSupport
import Foundation
import KakusaEvents
import Testing

@testable import Ingester

/// Everything a reader yields, read to the end.
func readAll(_ reader: any RecordReader) throws -> [RawRecord] {
    var records: [RawRecord] = []
    while let batch = try reader.nextBatch() { records += batch }
    return records
}

func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

@Suite struct ReaderTests {
    @Test func ndjsonAcceptsBOMAndCRLFAndSkipsBlankLines() throws {
        let input = [0xEF, 0xBB, 0xBF] + Array("{\"a\":1}\r\n\r\n  \n{\"b\":2}\r\n{\"c\":3}".utf8)
        let records = try readAll(NDJSONReader(source: ByteSource(bytes: input), file: "f"))
        #expect(records.map { text($0.json) } == [#"{"a":1}"#, #"{"b":2}"#, #"{"c":3}"#])
        #expect(records.map(\.line) == [1, 4, 5])
        #expect(records.allSatisfy { $0.issue == nil })
    }

    @Test func ndjsonCutsAnOverlongLineAndReadsOnAfterIt() throws {
        var input = Array("{\"a\":1}\n".utf8)
        input += [UInt8](repeating: UInt8(ascii: "x"), count: 10 * 1024 * 1024) + [0x0A]
        input += Array("{\"b\":2}\n".utf8)
        let records = try readAll(NDJSONReader(source: ByteSource(bytes: input), file: "f"))
        #expect(records.count == 3)
        #expect(records[1].issue?.code == "line_too_long")
        #expect(records[1].original.count == RawRecord.tooLongPreviewBytes)
        #expect(records[1].line == 2)
        #expect(text(records[2].json) == #"{"b":2}"#)
        #expect(records[2].line == 3)
    }

    @Test func linesSpanningChunksAreWhole() throws {
        let lines = (0..<50_000).map { #"{"n":\#($0),"pad":"\#(String(repeating: "p", count: $0 % 97))"}"# }
        let input = Array(lines.joined(separator: "\n").utf8)
        let records = try readAll(NDJSONReader(source: ByteSource(bytes: input), file: "f"))
        #expect(records.map { text($0.json) } == lines)
        #expect(records.last?.line == 50_000)
    }

    @Test func csvRowsBecomeJSONObjects() throws {
        let input = Array(
            """
            company,country,valuation.amount,valuation.currency,investors,announced_on,source
            Moonshot AI,CN,3300000000,USD,Alibaba;Tencent;HongShan,2025-01-31,"CB Insights, January 2025"
            """.utf8)
        let records = try readAll(CSVReader(source: ByteSource(bytes: input), file: "f", kind: .fundingRounds))
        #expect(records.count == 1)
        let round = try KakusaJSON.decode(FundingRound.self, from: records[0].json)
        #expect(round.company == "Moonshot AI")
        #expect(round.valuation == Money(amount: 3.3e9, currency: "USD"))
        #expect(round.investors == ["Alibaba", "Tencent", "HongShan"])
        #expect(round.source == "CB Insights, January 2025")
        #expect(records[0].line == 2)
    }

    @Test func csvRowWithWrongColumnCountIsRejectedAsIs() throws {
        let input = Array("institution,country,year,authors\nRIKEN,JP,2024\nMIT,US,2024,1037\n".utf8)
        let records = try readAll(CSVReader(source: ByteSource(bytes: input), file: "f", kind: .paperCounts))
        #expect(records.count == 2)
        #expect(records[0].issue?.code == "wrong_column_count")
        #expect(text(records[0].original) == "RIKEN,JP,2024")
        #expect(records[1].issue == nil)
    }

    @Test func csvWithUnknownColumnIsRefused() throws {
        let input = Array("institution,colour\nRIKEN,red\n".utf8)
        #expect(throws: ReaderError.self) {
            try readAll(CSVReader(source: ByteSource(bytes: input), file: "f", kind: .paperCounts))
        }
    }

    @Test func jsonArrayIsStreamedElementByElement() throws {
        let elements = (0..<30_000).map { #"{"n":\#($0),"s":"a,b]}\"c"}"# }
        let input = Array(("[\n" + elements.joined(separator: ",\n") + "\n]").utf8)
        let records = try readAll(JSONValueReader(source: ByteSource(bytes: input), file: "f"))
        #expect(records.map { text($0.json) } == elements)
        #expect(records[0].line == 2)
        #expect(records[2].line == 4)
    }

    @Test func jsonReaderTakesOneObjectOrSeveral() throws {
        let one = try readAll(JSONValueReader(source: ByteSource(bytes: Array(#"{"a": {"b": 1}}"#.utf8)), file: "f"))
        #expect(one.map { text($0.json) } == [#"{"a": {"b": 1}}"#])
        let several = try readAll(
            JSONValueReader(source: ByteSource(bytes: Array("{\"a\":1}\n{\"b\":2}\n".utf8)), file: "f"))
        #expect(several.count == 2)
    }
}
