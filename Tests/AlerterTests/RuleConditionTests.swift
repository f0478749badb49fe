import KakusaTestSupport
import KakusaEvents
import Testing

@testable import Alerter

@Suite struct RuleConditionTests {
    let record: JSONValue = [
        "company": "Moonshot AI", "change_pct": -30.0, "previous": nil,
        "current": ["amount": 3.3e9, "currency": "USD"], "ratios": ["JP": 19.33, "CN": 1.59], "country": "US",
    ]

    func matches(_ op: Condition.Operator, _ field: String, _ operand: JSONValue) -> Bool {
        Condition(field: field, op: op, operand: operand).matches(record)
    }

    @Test func orderingOperatorsCompareNumbers() {
        #expect(matches(.gte, "ratios.JP", 19.33))
        #expect(!matches(.gte, "ratios.JP", 19.34))
        #expect(matches(.gt, "ratios.JP", 19.32))
        #expect(!matches(.gt, "ratios.JP", 19.33))
        #expect(matches(.lte, "change_pct", -30))
        #expect(!matches(.lte, "change_pct", -31))
        #expect(matches(.lt, "change_pct", -29.9))
        #expect(!matches(.lt, "change_pct", -30))
    }

    @Test func absGteFiresOnFallsAndRises() {
        #expect(matches(.absGte, "change_pct", 25))
        #expect(!matches(.absGte, "change_pct", 31))
        #expect(Condition(field: "x", op: .absGte, operand: 25).matches(["x": 25]))
    }

    @Test func eqComparesStringsNumbersAndNull() {
        #expect(matches(.eq, "country", "US"))
        #expect(!matches(.eq, "country", "JP"))
        #expect(matches(.eq, "ratios.CN", 1.59))
        #expect(matches(.eq, "previous", nil))
        #expect(matches(.eq, "no.such.field", nil))
    }

    @Test func dottedPathsReachNestedValues() {
        #expect(matches(.gte, "current.amount", 1e9))
        #expect(!matches(.gte, "current.amount.more", 0))
        #expect(!matches(.gte, "ratios.KR", 0))
    }

    @Test func missingOrNonNumericFieldsNeverSatisfyOrderings() {
        #expect(!matches(.gte, "company", 0))
        #expect(!matches(.lte, "previous", 0))
        #expect(!matches(.absGte, "missing", 0))
    }

    @Test func whereFiltersMustAllHold() throws {
        let rule = try RulesLoader(file: "t.yaml").parse(
            """
            rules:
              - name: gap
                topic: country-paper-totals
                where: { country: US, ratios.CN: 1.59 }
                when: { field: ratios.JP, gte: 15 }
                severity: info
            """
        ).rules[0]
        #expect(rule.matches(record))
        var other = record
        if case .object(var members) = other {
            members["country"] = "CN"
            other = .object(members)
        }
        #expect(!rule.matches(other))
    }

    @Test func durationsParseSecondsMinutesHoursDays() {
        #expect(RuleDuration.seconds("90s") == 90)
        #expect(RuleDuration.seconds("15m") == 900)
        #expect(RuleDuration.seconds("24h") == 86400)
        #expect(RuleDuration.seconds("2d") == 172_800)
        for bad in ["", "h", "10", "1.5h", "-3m", "0s", "10 m", "3w"] { #expect(RuleDuration.seconds(bad) == nil) }
    }

    @Test func moneyAndPercentFormatting() {
        #expect(Format.money(3.3e9, currency: "USD") == "USD 3.3B")
        #expect(Format.money(9.1e8, currency: "USD") == "USD 910M")
        #expect(Format.money(1.2e12, currency: "USD") == "USD 1.2T")
        #expect(Format.money(1e9, currency: "USD") == "USD 1.0B")
        #expect(Format.percent(-230) == "230.0%")
        #expect(Format.number(19.33) == "19.33")
        #expect(Format.number(6940) == "6940")
    }

    @Test func messageTemplatesFillPathsBuiltinsAndFilters() throws {
        let template = try MessageTemplate(parsing: "{company} {direction} {change_pct|abs}% to {current} {{x}}")
        #expect(
            template.render(record: record, builtins: ["direction": "down"])
                == "Moonshot AI down 30% to USD 3.3B {x}")
        #expect(throws: MessageTemplate.ParseError.self) { try MessageTemplate(parsing: "{company") }
        #expect(throws: MessageTemplate.ParseError.self) { try MessageTemplate(parsing: "{x|upper}") }
    }
}
