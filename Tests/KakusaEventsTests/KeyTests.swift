import Testing

@testable import KakusaEvents

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

@Suite struct SlugFastPathTests {
    @Test func asciiNamesGetTheSameSlugAsTheUnicodePath() {
        var names = ["Moonshot AI", "  Carnegie   Mellon -- University ", "01.AI", "!!!", "", "a", "Z9", "x\u{7F}y"]
        names.append(String(decoding: (0..<128).map { UInt8($0) }, as: UTF8.self))
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let length = Int.random(in: 0...24, using: &generator)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0..<128, using: &generator) }
            names.append(String(decoding: bytes, as: UTF8.self))
        }
        for name in names {
            #expect(Slug.asciiSlug(name) == Slug.unicodeSlug(name), "\(name.debugDescription)")
        }
        #expect(Slug.asciiSlug("Zürich") == nil)
    }
}
