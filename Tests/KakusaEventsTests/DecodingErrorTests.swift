import KakusaEvents
import Testing

@Suite struct DecodingErrorTests {
    private func failure(_ json: String) -> [ValidationIssue] {
        do {
            _ = try KakusaJSON.decodeValid(FundingRound.self, from: Array(json.utf8))
            return []
        } catch {
            return error.issues
        }
    }

    @Test func missingNestedKeyIsMissingWithItsPath() {
        let issues = failure(
            #"{"company":"X","country":"CN","valuation":{"amount":1},"investors":[],"announced_on":"2025-01-01"}"#)
        #expect(issues.map(\.field) == ["valuation.currency"])
        #expect(issues.map(\.code) == ["missing"])
    }

    @Test func wrongTypeInAListIsWrongTypeWithItsIndex() {
        let issues = failure(
            #"{"company":"X","country":"CN","valuation":{"amount":1,"currency":"USD"},"investors":["a",7],"#
                + #""announced_on":"2025-01-01"}"#)
        #expect(issues == [ValidationIssue(field: "investors[1]", code: "wrong_type", reason: "expected a string")])
    }

    @Test func nullForARequiredFieldIsMissing() {
        let issues = failure(
            #"{"company":null,"country":"CN","valuation":{"amount":1,"currency":"USD"},"investors":[],"#
                + #""announced_on":"2025-01-01"}"#)
        #expect(issues.map { "\($0.field) \($0.code)" } == ["company missing"])
    }

    @Test func brokenJSONIsInvalidJSONForTheWholeRecord() {
        let issues = failure(#"{"company": "X", "#)
        #expect(issues.map(\.code) == ["invalid_json"])
        #expect(issues.map(\.field) == [""])
    }

    @Test func fractionalOrQuotedIntegersAreWrongTypeOnTheirField() throws {
        for (json, field) in [
            (#"{"institution":"MIT","country":"US","year":2024.5,"authors":1}"#, "year"),
            (#"{"institution":"MIT","country":"US","year":2024,"authors":"1"}"#, "authors"),
            (#"{"institution":"MIT","country":"US","year":2024,"authors":1,"rank":1e30}"#, "rank"),
        ] {
            do {
                _ = try KakusaJSON.decode(PaperCount.self, from: Array(json.utf8))
                Issue.record("decoded \(json)")
            } catch {
                #expect(ValidationIssue(decodingError: error).field == field)
                #expect(ValidationIssue(decodingError: error).code == "wrong_type")
            }
        }
        let whole = #"{"institution":"MIT","country":"US","year":2024.0,"authors":1037}"#
        #expect(try KakusaJSON.decode(PaperCount.self, from: Array(whole.utf8)).year == 2024)
    }

    @Test func decodeValidAlsoReportsValidationIssues() {
        let issues = failure(
            #"{"company":"","country":"CN","valuation":{"amount":1,"currency":"USD"},"investors":[],"#
                + #""announced_on":"2025-02-30"}"#)
        #expect(issues.map(\.code) == ["empty", "invalid_date"])
    }

    @Test(arguments: [
        ("this is not JSON", "is not valid JSON: unexpected 't' at column 1: expected a value"),
        (#"{"company":"X""#, "is not valid JSON: the text ends at the end (column 15): expected ',' or '}'"),
        (#"{"company" "X"}"#, "is not valid JSON: unexpected '\"' at column 12: expected ':' after the member name"),
        (#"{"amount":NaN}"#, "is not valid JSON: unexpected 'N' at column 11: expected a value"),
        (#"{"a":1} x"#, "is not valid JSON: unexpected 'x' at column 9: expected the end of the text"),
        (#"{"company":"\x"}"#, #"is not valid JSON: unexpected 'x' at column 14: expected one of"#),
    ])
    func badJSONSaysWhereAndWhatWasExpected(json: String, reason: String) {
        let issues = failure(json)
        #expect(issues.count == 1)
        #expect(issues.first?.code == "invalid_json")
        #expect(issues.first?.reason.hasPrefix(reason) == true, "\(issues)")
    }

    @Test func deepNestingIsRefusedWithoutRecursingForever() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(JSONSyntax.firstError(in: Array(deep.utf8))?.contains("nesting deeper than 512") == true)
    }

    @Test func validJSONHasNoSyntaxError() {
        #expect(JSONSyntax.firstError(in: Array(#"{"a":[1,-2.5e3,"\u00e9\n",true,false,null,{}]}"#.utf8)) == nil)
    }
}
