import KakusaEvents
import Testing

@Suite struct KeyTests {
    @Test(arguments: [
        ("Moonshot AI", "moonshot-ai"),
        ("  01.AI (零一万物) ", "01-ai-零一万物"),
        ("月之暗面", "月之暗面"),
        ("Zürich AI Lab", "zürich-ai-lab"),
        ("ＭｉｎｉＭａｘ", "minimax"),
        ("Carnegie   Mellon -- University", "carnegie-mellon-university"),
        ("!!!", ""),
    ])
    func slugKeepsLettersAndDigitsAndJoinsTheRestWithOneDash(name: String, slug: String) {
        #expect(Slug.make(name) == slug)
    }

    @Test func eachRecordIsKeyedByItsNaturalKey() throws {
        #expect(Samples.moonshot.key == "moonshot-ai")
        #expect(Samples.tsinghua.key == "tsinghua-university-2024")
        var move = Samples.nvidia
        move.symbol = " nvda "
        #expect(move.key == "NVDA")
        #expect(Samples.valuationJump.key == "moonshot-ai")
        #expect(Samples.usTotals.key == "US-2024")
        #expect(Samples.selloff.key == "2025-01-27")
        #expect(try Samples.alert().key == "valuation-jump:moonshot-ai")
    }

    @Test func stockMoveDayIsTheDateAsWritten() {
        #expect(Samples.nvidia.day == "2025-01-27")
    }
}
