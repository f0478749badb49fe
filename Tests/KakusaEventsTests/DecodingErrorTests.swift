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
}
