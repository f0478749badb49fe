import KakusaEvents
import KakusaTestSupport
import Testing

@Suite struct RecordIDTests {
    /// Also computed outside Swift from the documented canonical form (Python `hashlib.sha256`), which proves the
    /// documentation describes the bytes actually hashed.
    @Test func fundingRoundIDIsPinnedAcrossRunsAndMachines() {
        #expect(Samples.moonshot.derivedID == "28ec3bde1a5967b87f48942fbd6755d7")
    }

    @Test func idsAreThirtyTwoLowerCaseHexDigits() {
        for id in [Samples.moonshot.derivedID, Samples.tsinghua.derivedID, Samples.nvidia.derivedID] {
            #expect(id.count == 32)
            #expect(id.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        }
    }

    @Test func sameContentGivesSameIDWhateverTheSourceOrNumberSpelling() {
        var other = Samples.moonshot
        other.source = "another article"
        other.valuation = Money(amount: 3_300_000_000, currency: "USD")
        other.company = "  moonshot   ai "
        other.investors = ["HongShan", "Tencent", "Alibaba"]
        #expect(other.derivedID == Samples.moonshot.derivedID)
    }

    @Test func eachCoveredFundingRoundFieldChangesTheID() {
        let base = Samples.moonshot.derivedID
        let changes: [(String, (inout FundingRound) -> Void)] = [
            ("company", { $0.company = "Zhipu AI" }),
            ("country", { $0.country = "SG" }),
            ("round", { $0.round = nil }),
            ("valuation.amount", { $0.valuation.amount = 3.4e9 }),
            ("valuation.currency", { $0.valuation.currency = "CNY" }),
            ("raised", { $0.raised = nil }),
            ("investors", { $0.investors.append("Xiaomi") }),
            ("announced_on", { $0.announcedOn = "2025-01-21" }),
        ]
        var seen: Set<String> = [base]
        for (field, change) in changes {
            var round = Samples.moonshot
            change(&round)
            #expect(seen.insert(round.derivedID).inserted, "changing \(field) must give a new id")
        }
    }

    @Test func eachCoveredPaperCountFieldChangesTheID() {
        let changes: [(inout PaperCount) -> Void] = [
            { $0.institution = "Peking University" }, { $0.country = "HK" }, { $0.year = 2023 },
            { $0.authors = 1749 }, { $0.rank = nil },
        ]
        var seen: Set<String> = [Samples.tsinghua.derivedID]
        for change in changes {
            var count = Samples.tsinghua
            change(&count)
            #expect(seen.insert(count.derivedID).inserted)
        }
        var resourced = Samples.tsinghua
        resourced.source = "elsewhere"
        #expect(resourced.derivedID == Samples.tsinghua.derivedID)
    }

    @Test func eachCoveredStockMoveFieldChangesTheID() {
        let changes: [(inout StockMove) -> Void] = [
            { $0.symbol = "AMD" }, { $0.kind = .index }, { $0.at = "2025-01-28" }, { $0.changePct = -17 },
            { $0.close = nil }, { $0.marketCapChange = nil },
        ]
        var seen: Set<String> = [Samples.nvidia.derivedID]
        for change in changes {
            var move = Samples.nvidia
            change(&move)
            #expect(seen.insert(move.derivedID).inserted)
        }
        var renamed = Samples.nvidia
        renamed.source = nil
        renamed.name = "Nvidia Corp."
        renamed.symbol = "nvda"
        #expect(renamed.derivedID == Samples.nvidia.derivedID)
    }

    @Test func effectiveIDPrefersAGivenNonEmptyID() {
        var round = Samples.moonshot
        #expect(round.effectiveID == round.derivedID)
        round.id = "  "
        #expect(round.effectiveID == round.derivedID)
        round.id = "cbinsights-2025-01-moonshot"
        #expect(round.effectiveID == "cbinsights-2025-01-moonshot")
        #expect(round.eventID == "cbinsights-2025-01-moonshot")
    }

    @Test func numbersHaveOneCanonicalSpelling() {
        #expect(RecordID.canonical(3.3e9) == "3300000000")
        #expect(RecordID.canonical(3_300_000_000.0) == "3300000000")
        #expect(RecordID.canonical(-16.97) == "-16.97")
        #expect(RecordID.canonical(0.1) == "0.1")
        #expect(RecordID.canonical(1e-7) == "0.0000001")
        #expect(RecordID.canonical(1.5e21) == "1500000000000000000000")
        #expect(RecordID.canonical(-0.0) == "0")
        #expect(RecordID.canonical(19.33) == "19.33")
        #expect(RecordID.canonical(Double?.none) == "")
    }

    @Test func derivedRecordIDsFollowTheirSources() throws {
        #expect(Samples.valuationJump.id == ValuationChange.makeID(fundingRoundID: Samples.moonshot.effectiveID))
        #expect(Samples.valuationJump.id != Samples.moonshot.effectiveID)

        var totals = Samples.usTotals
        #expect(totals.id == totals.derivedID)
        totals.ratios["JP"] = 19.34
        #expect(totals.derivedID != Samples.usTotals.id)
        let reordered = CountryPaperTotals(
            year: 2024, country: "US", authors: 6940, institutions: 6, share: 0.6057,
            ratios: ["JP": 19.33, "CN": 1.59])
        #expect(reordered.id == Samples.usTotals.id)

        #expect(Samples.selloff.id != Samples.quietDay.id)
        var day = Samples.selloff
        day.largestFall = nil
        #expect(day.derivedID != Samples.selloff.id)

        let alert = try Samples.alert()
        #expect(alert.id == AlertID.make(rule: "valuation-jump", subject: "moonshot-ai", recordID: alert.recordID))
        #expect(
            AlertID.make(rule: "a", subject: "b", recordID: "c") != AlertID.make(rule: "a", subject: "b", recordID: "d")
        )
    }

    /// `CanonicalFields` writes the documented string without a String a field: the ids it gives must be those of
    /// `RecordID.derive` over the `RecordID.canonical` strings, for the fast cases and every fallback.
    @Test func fieldByFieldIDsAreTheIDsOfTheDocumentedCanonicalStrings() {
        let texts = [
            "Alibaba", "Tencent", "HongShan", " Tencent", "HongShan ", "\tIDG", "Ｓｅｑｕｏｉａ", "Cafe\u{301}", "Café", "",
            " ", "a b", "alpha", "Alpha", "ZhenFund", "ß", "月之暗面", "Series B",
        ]
        let numbers: [Double] = [
            0, -0.0, 1, -5, 3.3e9, 999_999_999_999_999, 1e15, 1.5e21, 0.1, -16.97, 1e-7, 12_345.678, .infinity, .nan,
        ]
        var random = SeededGenerator(state: 2026)
        func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
        func maybe<T>(_ value: T) -> T? { random.next() % 4 == 0 ? nil : value }
        for _ in 0..<3000 {
            let round = FundingRound(
                company: pick(texts) + pick(["", " AI", "-2", "  "]), country: pick(["CN", " cn", "US", ""]),
                round: maybe(pick(texts)), valuation: Money(amount: pick(numbers), currency: pick(["USD", " cny", "€"])),
                raised: maybe(Money(amount: pick(numbers), currency: "USD")),
                investors: (0..<Int(random.next() % 5)).map { _ in pick(texts) }, announcedOn: pick(texts))
            let expected = RecordID.derive(
                type: "funding-round.v1",
                fields: [
                    "company": Slug.make(round.company), "country": RecordID.canonical(round.country),
                    "round": RecordID.canonical(round.round), "valuation": RecordID.canonical(round.valuation),
                    "raised": RecordID.canonical(round.raised),
                    "investors": RecordID.canonical(round.investors, sorted: true),
                    "announced_on": RecordID.canonical(round.announcedOn),
                ])
            #expect(round.derivedID == expected, "\(round)")

            let move = StockMove(
                symbol: pick(["nvda", " TSM ", "ﬁ"]), kind: pick([.stock, .index]), at: pick(texts),
                changePct: pick(numbers), close: maybe(pick(numbers)),
                marketCapChange: maybe(Money(amount: pick(numbers), currency: pick(texts))))
            #expect(
                move.derivedID
                    == RecordID.derive(
                        type: "stock-move.v1",
                        fields: [
                            "symbol": RecordID.canonical(move.symbol).uppercased(),
                            "kind": RecordID.canonical(move.kind.rawValue), "at": RecordID.canonical(move.at),
                            "change_pct": RecordID.canonical(move.changePct), "close": RecordID.canonical(move.close),
                            "market_cap_change": RecordID.canonical(move.marketCapChange),
                        ]), "\(move)")

            let count = PaperCount(
                institution: pick(texts) + "x", country: pick(["CN", " us"]), year: 2024,
                authors: Int(random.next() % 3000) - 5, rank: maybe(Int(random.next() % 20)))
            #expect(
                count.derivedID
                    == RecordID.derive(
                        type: "paper-count.v1",
                        fields: [
                            "institution": Slug.make(count.institution), "country": RecordID.canonical(count.country),
                            "year": RecordID.canonical(count.year), "authors": RecordID.canonical(count.authors),
                            "rank": RecordID.canonical(count.rank),
                        ]), "\(count)")
        }
        #expect(
            ValuationChange.makeID(fundingRoundID: " f1 ")
                == RecordID.derive(type: "valuation-change.v1", fields: ["funding_round_id": "f1"]))
    }
}
