import KakusaTestSupport
import Foundation
import KakusaEvents
import Testing

@testable import Alerter

@Suite struct JSONValueParserTests {
    static let documents = [
        #"{"company":"Moonshot AI","valuation":{"amount":3300000000,"currency":"USD"},"change_pct":230.5}"#,
        #"{"ratios":{"JP":19.33,"CN":-12.17},"year":2024,"ok":true,"no":false,"gone":null}"#,
        #"[1, -0.5, 2.5e3, 1E-2, 0, "a", [], {}, [[]], {"a":{"b":[true]}}]"#,
        #"{"escaped":"quote \" slash \\ \/ \b\f\n\r\t \u00e9 \u65e5 \ud83d\ude80","plain":"日本 🚀"}"#,
        "  \n\t{ \"spaced\" : [ 1 , 2 ] }  ",
        #""just a string""#, "42", "null",
    ]

    @Test("reads every JSON document exactly as JSONDecoder does", arguments: documents)
    func matchesFoundation(_ text: String) throws {
        let bytes = Array(text.utf8)
        #expect(try JSONValueParser.parse(bytes) == KakusaJSON.decode(JSONValue.self, from: bytes))
    }

    @Test("reads a record as KakusaJSON wrote it")
    func readsEncodedRecord() throws {
        let bytes = try KakusaJSON.encode(["name": JSONValue.string("x"), "n": .number(1.25), "list": [1, "two", nil]])
        #expect(try JSONValueParser.parse(bytes) == KakusaJSON.decode(JSONValue.self, from: bytes))
    }

    @Test("refuses what is not JSON", arguments: [
        "", "{", "[1,]", #"{"a" 1}"#, #"{"a":1,}"#, "01", "-", "1 2", "nan", "tru", #""\x""#, #""\ud800""#,
        "\"a\u{01}b\"", #""unterminated"#, String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
    ])
    func refusesInvalid(_ text: String) {
        #expect(throws: JSONValueParser.Failure.self) { try JSONValueParser.parse(Array(text.utf8)) }
    }
}
