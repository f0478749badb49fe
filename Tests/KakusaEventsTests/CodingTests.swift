import KakusaEvents
import Testing

@Suite struct CodingTests {
    private func text(_ value: some Encodable) throws -> String {
        String(decoding: try KakusaJSON.encode(value), as: UTF8.self)
    }

    private func roundTrip<T: Codable & Equatable>(_ value: T) throws {
        let decoded = try KakusaJSON.decode(T.self, from: try KakusaJSON.encode(value))
        #expect(decoded == value)
    }

    @Test func everyRecordSurvivesARoundTrip() throws {
        try roundTrip(Samples.moonshot)
        try roundTrip(Samples.tsinghua)
        try roundTrip(Samples.nvidia)
        try roundTrip(Samples.firstValuation)
        try roundTrip(Samples.valuationJump)
        try roundTrip(Samples.usTotals)
        try roundTrip(Samples.selloff)
        try roundTrip(Samples.quietDay)
        try roundTrip(try Samples.alert())
    }

    @Test func encodingSortsKeysUsesSnakeCaseAndLeavesSlashesAlone() throws {
        let json = try text(Samples.moonshot)
        #expect(
            json == #"{"announced_on":"2025-01-20","company":"Moonshot AI","country":"CN","#
                + #""investors":["Alibaba","Tencent","HongShan"],"raised":{"amount":1000000000,"currency":"USD"},"#
                + #""round":"Strategic","source":"https://example.com/deepseek-shock","#
                + #""valuation":{"amount":3300000000,"currency":"USD"}}"#)
        #expect(try text(Samples.moonshot) == json)
    }

    @Test func inputsOmitAbsentOptionals() throws {
        let move = StockMove(symbol: "SOX", kind: .index, at: "2025-01-27", changePct: -9.2)
        #expect(try text(move) == #"{"at":"2025-01-27","change_pct":-9.2,"kind":"index","symbol":"SOX"}"#)
    }

    @Test func derivedRecordsWriteNullForAbsentValues() throws {
        let first = try text(Samples.firstValuation)
        #expect(first.contains(#""previous":null"#))
        #expect(first.contains(#""change_pct":null"#))
        #expect(first.contains(#""round":null"#))
        #expect(try text(Samples.quietDay).contains(#""largest_fall":null"#))
        #expect(try text(Samples.selloff).contains(#""largest_fall":{"change_pct":-16.97,"symbol":"NVDA"}"#))
    }

    @Test func inputsAcceptNullForOptionalFields() throws {
        let json = #"{"institution":"RIKEN","country":"JP","year":2024,"authors":188,"rank":null,"source":null}"#
        let count = try KakusaJSON.decode(PaperCount.self, from: Array(json.utf8))
        #expect(count == PaperCount(institution: "RIKEN", country: "JP", year: 2024, authors: 188))
    }

    @Test func alertCarriesTheFiringRecordAsItWas() throws {
        let alert = try Samples.alert()
        #expect(alert.record.value(at: "change_pct") == .number(230))
        #expect(alert.record.value(at: "previous.amount")?.doubleValue == 1e9)
        let json = try text(alert)
        #expect(json.contains(#""record_id":""#))
        #expect(json.contains(#""severity":"critical""#))
    }

    @Test func severitiesAreOrdered() {
        #expect(Alert.Severity.info < .warning)
        #expect(Alert.Severity.warning < .critical)
    }
}
