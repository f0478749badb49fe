import KakusaEvents
import Testing

@Suite struct ValidationTests {
    private func issues(_ record: some Validatable) -> [String] {
        record.validate().map { "\($0.field) \($0.code)" }
    }

    @Test func seedRecordsAreValid() throws {
        #expect(issues(Samples.moonshot) == [])
        #expect(issues(Samples.tsinghua) == [])
        #expect(issues(Samples.nvidia) == [])
        #expect(issues(Samples.firstValuation) == [])
        #expect(issues(Samples.valuationJump) == [])
        #expect(issues(Samples.usTotals) == [])
        #expect(issues(Samples.selloff) == [])
        #expect(issues(Samples.quietDay) == [])
        #expect(issues(try Samples.alert()) == [])
    }

    @Test func everyProblemOfAFundingRoundIsReportedNotJustTheFirst() {
        var round = Samples.moonshot
        round.company = "   "
        round.country = "cn"
        round.valuation = Money(amount: -1, currency: "US$")
        round.raised = Money(amount: .infinity, currency: "USD")
        round.investors = ["Alibaba", "Tencent", " \t"]
        round.announcedOn = "2023-02-30"
        #expect(
            issues(round) == [
                "company empty", "country unknown_country", "valuation.amount negative",
                "valuation.currency unknown_currency", "raised.amount not_finite", "investors[2] empty",
                "announced_on invalid_date",
            ])
    }

    /// A name keeps a letter or digit of any script (it becomes a key); one of punctuation alone, or blank, is an
    /// issue naming its field.
    @Test func namesNeedALetterOrDigitOfAnyScript() {
        var round = Samples.moonshot
        round.company = "月之暗面"
        round.round = "Ｂ"
        round.investors = ["a16z", "—!!", "Ölfonds", "\u{3000}", "-- 9 --", "・"]
        #expect(issues(round) == ["investors[1] no_letters", "investors[3] empty", "investors[5] no_letters"])
        round.company = "?!"
        round.round = " "
        round.investors = []
        #expect(issues(round) == ["company no_letters", "round empty"])
    }

    @Test(arguments: [
        "2023-02-30", "2023-13-01", "2023-00-10", "2023-04-31", "2023-1-05", "20230105", "", "2023-01-05T",
    ])
    func impossibleOrMisformattedDatesAreInvalidDate(date: String) {
        var round = Samples.moonshot
        round.announcedOn = date
        #expect(issues(round) == ["announced_on invalid_date"])
    }

    @Test(arguments: ["2024-02-29", "2000-02-29", "2025-12-31"])
    func realDatesIncludingLeapDaysPass(date: String) {
        var round = Samples.moonshot
        round.announcedOn = date
        #expect(issues(round) == [])
    }

    @Test func countryCodesMustBeAssignedAndUpperCase() {
        for code in ["UK", "XK", "us", "USA", ""] {
            var count = Samples.tsinghua
            count.country = code
            #expect(issues(count) == ["country unknown_country"], "\(code)")
        }
        #expect(ISO3166.alpha2.count == 249)
    }

    @Test func currencyCodesMustBeActiveAndUpperCase() {
        for code in ["usd", "RMB", "DEM", "XXX", ""] {
            #expect(issues(Money(amount: 1, currency: code)) == ["currency unknown_currency"], "\(code)")
        }
        for code in ["USD", "JPY", "CNY", "EUR", "GBP", "KRW"] {
            #expect(issues(Money(amount: 1, currency: code)) == [], "\(code)")
        }
    }

    @Test func nanAmountIsNotFiniteRatherThanNegative() {
        #expect(issues(Money(amount: .nan, currency: "USD")) == ["amount not_finite"])
    }

    @Test func paperCountChecksInstitutionYearAuthorsAndRank() {
        let count = PaperCount(institution: "", country: "JP", year: 1899, authors: -3, rank: 0)
        #expect(
            issues(count) == ["institution empty", "year out_of_range", "authors negative", "rank out_of_range"])
        #expect(issues(PaperCount(institution: "RIKEN", country: "JP", year: 2100, authors: 0, rank: 1)) == [])
    }

    @Test func stockMoveChecksSymbolKindTimeChangeAndClose() {
        let move = StockMove(
            symbol: " ", kind: .unknown("bond"), at: "2025-01-27 16:00", changePct: .nan, close: -1,
            marketCapChange: Money(amount: -5, currency: "usd"))
        #expect(
            issues(move) == [
                "symbol empty", "kind invalid_kind", "at invalid_time", "change_pct not_finite", "close negative",
                "market_cap_change.currency unknown_currency",
            ])
    }

    @Test func negativeMarketCapChangeIsAllowedBecauseItIsAChange() {
        var move = Samples.nvidia
        move.marketCapChange = Money(amount: -1e12, currency: "USD")
        #expect(issues(move) == [])
    }

    @Test(arguments: [
        "2025-01-27", "2025-01-27T16:00:00Z", "2025-01-27T16:00:00.123456+09:00", "2025-01-27t16:00:00z",
        "2016-12-31T23:59:60Z",
    ])
    func stockMoveAcceptsRFC3339TimesAndPlainDates(at: String) {
        var move = Samples.nvidia
        move.at = at
        #expect(issues(move) == [])
    }

    @Test(arguments: [
        "2025-01-27T24:00:00Z", "2025-01-27T16:00:00", "2025-01-27T16:00Z", "2025-01-27T16:00:00+0900",
        "2025-02-30T10:00:00Z", "2025-01-27T16:00:00.Z", "yesterday",
    ])
    func invalidTimesAreInvalidTime(at: String) {
        var move = Samples.nvidia
        move.at = at
        #expect(issues(move) == ["at invalid_time"])
    }

    @Test func unknownKindDecodesAndIsReportedOnKind() throws {
        let json = #"{"symbol":"TLT","kind":"bond","at":"2025-01-27","change_pct":1.5}"#
        let move = try KakusaJSON.decode(StockMove.self, from: Array(json.utf8))
        #expect(move.kind == .unknown("bond"))
        #expect(issues(move) == ["kind invalid_kind"])
        #expect(StockMove.Kind(rawValue: "index") == .index)
    }

    @Test func derivedRecordsCheckTheirOwnFields() throws {
        var totals = Samples.usTotals
        totals.share = 1.5
        totals.ratios["jp"] = -1
        #expect(issues(totals) == ["share out_of_range", "ratios.jp unknown_country", "ratios.jp negative"])

        var change = Samples.valuationJump
        change.previous = Money(amount: 1e9, currency: "CNY")
        #expect(issues(change) == ["previous.currency invalid_value"])

        var day = Samples.selloff
        day.decliners = 5
        day.date = "2025-01-32"
        #expect(issues(day) == ["date invalid_date", "moves out_of_range"])

        var alert = try Samples.alert()
        alert.at = "2025-01-20"
        alert.message = ""
        #expect(issues(alert) == ["message empty", "at invalid_time"])
    }

    @Test func issuesReadAsFieldColonReason() {
        let issue = ValidationIssue(field: "valuation.currency", code: "unknown_currency", reason: "is not ISO 4217")
        #expect(issue.description == "valuation.currency: is not ISO 4217")
    }
}
