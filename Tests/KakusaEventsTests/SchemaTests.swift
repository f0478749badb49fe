import Foundation
import KakusaEvents
import Testing

/// Writes what the Swift types encode, valid and invalid, and has `scripts/check_schemas.py` judge it against
/// the shipped JSON Schemas, so the schemas and the types cannot drift apart.
@Suite struct SchemaTests {
    private static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private static let validFundingRound =
        #"{"company":"Moonshot AI","country":"CN","valuation":{"amount":3300000000,"currency":"USD"},"#
        + #""investors":["Alibaba"],"announced_on":"2025-01-20"}"#

    private func samples() throws -> [(expectation: String, schema: String, label: String, json: [UInt8])] {
        var samples: [(String, String, String, [UInt8])] = []
        func valid(_ schema: String, _ label: String, _ value: some Encodable) throws {
            samples.append(("valid", schema, label, try KakusaJSON.encode(value)))
        }
        func invalid(_ schema: String, _ label: String, _ json: String) {
            samples.append(("invalid", schema, label, Array(json.utf8)))
        }
        try valid("funding-round", "moonshot", Samples.moonshot)
        try valid(
            "funding-round", "minimal",
            FundingRound(
                company: "MiniMax", country: "CN", valuation: Money(amount: 2.5e9, currency: "USD"),
                announcedOn: "2025-01-31"))
        try valid("paper-count", "tsinghua", Samples.tsinghua)
        try valid("stock-move", "nvidia", Samples.nvidia)
        try valid("stock-move", "sox-daily", StockMove(symbol: "SOX", kind: .index, at: "2025-01-27", changePct: -9.2))
        try valid("valuation-change", "first", Samples.firstValuation)
        try valid("valuation-change", "jump", Samples.valuationJump)
        try valid("country-paper-totals", "us", Samples.usTotals)
        try valid("market-day", "selloff", Samples.selloff)
        try valid("market-day", "nothing-fell", Samples.quietDay)
        try valid("alert", "valuation-jump", try Samples.alert())
        samples.append(("valid", "funding-round", "hand-written", Array(Self.validFundingRound.utf8)))

        let round = Self.validFundingRound
        invalid("funding-round", "empty-company", round.replacingOccurrences(of: "Moonshot AI", with: ""))
        invalid("funding-round", "blank-company", round.replacingOccurrences(of: "Moonshot AI", with: "   "))
        invalid("funding-round", "missing-currency", round.replacingOccurrences(of: #","currency":"USD""#, with: ""))
        invalid("funding-round", "negative-amount", round.replacingOccurrences(of: "3300000000", with: "-1"))
        invalid("funding-round", "lower-case-country", round.replacingOccurrences(of: #""CN""#, with: #""cn""#))
        invalid("funding-round", "impossible-date", round.replacingOccurrences(of: "2025-01-20", with: "2025-13-01"))
        invalid(
            "funding-round", "extra-field", round.replacingOccurrences(of: "{\"company\"", with: "{\"x\":1,\"company\"")
        )
        invalid("stock-move", "bond", #"{"symbol":"TLT","kind":"bond","at":"2025-01-27","change_pct":1}"#)
        invalid("stock-move", "bad-time", #"{"symbol":"NVDA","kind":"stock","at":"2025-01-27 16:00","change_pct":1}"#)
        invalid("paper-count", "negative-authors", #"{"institution":"MIT","country":"US","year":2024,"authors":-1}"#)
        var unconverted = try KakusaJSON.encode(Samples.valuationJump)
        unconverted = Array(
            String(decoding: unconverted, as: UTF8.self)
                .replacingOccurrences(of: #""currency":"USD""#, with: #""currency":"JPY""#).utf8)
        samples.append(("invalid", "valuation-change", "not-usd", unconverted))
        var omitted = try JSONValue(encoding: Samples.firstValuation)
        if case .object(var members) = omitted {
            members["previous"] = nil
            omitted = .object(members)
        }
        samples.append(("invalid", "valuation-change", "previous-omitted", try KakusaJSON.encode(omitted)))
        var alert = try Samples.alert()
        alert.severity = .info
        let badAlert = String(decoding: try KakusaJSON.encode(alert), as: UTF8.self)
            .replacingOccurrences(of: #""severity":"info""#, with: #""severity":"page""#)
        invalid("alert", "unknown-severity", badAlert)
        return samples
    }

    /// The Swift side agrees: every invalid sample is refused, except where Swift reads leniently on purpose
    /// (unknown keys are dropped; an omitted nullable key reads as null) and writes the strict form back.
    @Test func invalidInputSamplesAreAlsoRefusedBySwift() throws {
        func refused<T: Decodable & Validatable>(_ type: T.Type, _ json: [UInt8]) -> Bool {
            (try? KakusaJSON.decodeValid(type, from: json)) == nil
        }
        for sample in try samples()
        where sample.expectation == "invalid"
            && !["extra-field", "previous-omitted"].contains(sample.label)
        {
            let isRefused =
                switch sample.schema {
                case "funding-round": refused(FundingRound.self, sample.json)
                case "paper-count": refused(PaperCount.self, sample.json)
                case "stock-move": refused(StockMove.self, sample.json)
                case "valuation-change": refused(ValuationChange.self, sample.json)
                case "alert": refused(Alert.self, sample.json)
                default: false
                }
            #expect(isRefused, "\(sample.schema)/\(sample.label) passed Swift validation")
        }
    }

    @Test func encodedRecordsMatchTheJSONSchemasAndInvalidOnesAreRejected() throws {
        let environment = ProcessInfo.processInfo.environment
        let python =
            environment["KAKUSA_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
            ?? Self.packageRoot.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            let hint = "run scripts/test (or python3 -m venv .venv && .venv/bin/pip install jsonschema)"
            Issue.record("No Python at \(python): \(hint), or set KAKUSA_PYTHON")
            return
        }

        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("kakusa-schema-samples-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        for sample in try samples() {
            let folder = directory.appendingPathComponent(sample.expectation).appendingPathComponent(sample.schema)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(sample.json).write(to: folder.appendingPathComponent("\(sample.label).json"))
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [
            Self.packageRoot.appendingPathComponent("scripts/check_schemas.py").path, directory.path,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus == 3 {
            Issue.record("jsonschema missing for \(python): run scripts/test. \(text)")
        }
        #expect(process.terminationStatus == 0, "check_schemas.py said:\n\(text)")
    }
}
