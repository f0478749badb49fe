import KakusaEvents
import Testing

@Suite struct JSONValueTests {
    private let totals: JSONValue = [
        "country": "US", "authors": 6940, "ratios": ["JP": 19.33, "CN": 1.59], "tags": ["a", "b"], "none": nil,
    ]

    @Test func dottedPathsReachNestedMembersAndListElements() {
        #expect(totals.value(at: "ratios.JP")?.doubleValue == 19.33)
        #expect(totals.value(at: "country")?.stringValue == "US")
        #expect(totals.value(at: "tags.1") == "b")
        #expect(totals.value(at: "none") == .null)
    }

    @Test func missingStepsGiveNil() {
        #expect(totals.value(at: "ratios.KR") == nil)
        #expect(totals.value(at: "country.code") == nil)
        #expect(totals.value(at: "tags.2") == nil)
        #expect(totals.value(at: "") == nil)
    }

    @Test func accessorsAnswerOnlyForTheirOwnCase() {
        #expect(JSONValue.string("19.33").doubleValue == nil)
        #expect(JSONValue.number(1).stringValue == nil)
        #expect(JSONValue.bool(true).boolValue == true)
        #expect(totals["country"] == "US")
    }

    @Test func decodesEveryKindOfValueAndKeepsBooleansApartFromNumbers() throws {
        let json = #"{"a":true,"b":1,"c":"x","d":[null,false,2.5],"e":{}}"#
        let value = try KakusaJSON.decode(JSONValue.self, from: Array(json.utf8))
        #expect(value == ["a": true, "b": 1, "c": "x", "d": [nil, false, 2.5], "e": [:]])
        #expect(String(decoding: try KakusaJSON.encode(value), as: UTF8.self) == json)
    }
}
