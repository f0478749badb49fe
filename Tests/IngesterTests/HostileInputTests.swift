import Foundation
import KakusaEvents
import KakusaTestSupport
import Testing

@testable import Ingester

/// Property-based hostile input (issue 9, scenario 5): mutated and hostile records through the readers and the
/// record processor, for a fixed seed and a fixed budget. Every record must come out either valid (a value that
/// decodes and validates, with an id) or rejected with at least one reason; nothing may crash or hang.
@Suite struct HostileInputTests {
    static let seed: UInt64 = 0x4B41_4B55_5341
    // Synchronous CPU work: each loop yields, so that the tests that run alongside keep their cooperative threads.
    static let iterations = 2000

    static let valid =
        #"{"company":"Moonshot AI","country":"CN","round":"Series B","#
        + #""valuation":{"amount":3300000000,"currency":"USD"},"raised":{"amount":1000000000,"currency":"USD"},"#
        + #""investors":["Alibaba","Tencent"],"announced_on":"2025-01-31","source":"CB Insights"}"#

    /// Fragments that have broken JSON parsers and number handling elsewhere.
    static let hostile: [[UInt8]] = [
        "NaN", "-NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e-400", "-0", "0x10", "01", "1.", ".5",
        "123456789012345678901234567890123456789012345678901234567890", "9007199254740993", "\"\\ud800\"",
        "\"\\u0000\"", "null", "true", "[]", "{}", "\"\"", String(repeating: "[", count: 1_000),
        String(repeating: "{\"a\":", count: 600), "\"" + String(repeating: "x", count: 20_000) + "\"",
        "\"2025-02-30\"", "\"9999-99-99\"", "\"\\\"", ",", ":", "}", "]",
    ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x00], [0x1B]]

    static func mutate(_ input: [UInt8], _ rng: inout SeededGenerator) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let at = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: if !bytes.isEmpty { bytes[at] = UInt8.random(in: 0...255, using: &rng) }
            case 1: bytes.insert(contentsOf: hostile.randomElement(using: &rng)!, at: at)
            case 2:
                let end = min(bytes.count, at + Int.random(in: 1...20, using: &rng))
                if !bytes.isEmpty { bytes.removeSubrange(at..<end) }
            case 3: bytes = Array(bytes.prefix(at))
            case 4:
                // Replace a value after a colon with a hostile one: keeps the record's shape, breaks its content.
                let colons = bytes.indices.filter { bytes[$0] == UInt8(ascii: ":") }
                if let colon = colons.randomElement(using: &rng) {
                    let end = bytes[(colon + 1)...].firstIndex { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "}") }
                        ?? bytes.count
                    bytes.replaceSubrange((colon + 1)..<end, with: hostile.randomElement(using: &rng)!)
                }
            default: bytes.insert(contentsOf: bytes.prefix(at), at: at)
            }
        }
        return bytes
    }

    /// The property every record must hold after the reader and the processor.
    static func check(_ record: RawRecord, kind: InputKind) {
        if let issue = record.issue {
            #expect(!issue.reason.isEmpty && !issue.code.isEmpty)
            return
        }
        switch RecordProcessor(kind: kind).process(record.json) {
        case .valid(let key, let value, let id):
            #expect(!key.isEmpty && !id.isEmpty, "\(String(decoding: record.json, as: UTF8.self))")
            switch kind {
            case .fundingRounds:
                let round = try? KakusaJSON.decodeValid(FundingRound.self, from: value)
                #expect(round?.id == id, "published value does not validate: \(String(decoding: value, as: UTF8.self))")
            case .paperCounts:
                #expect((try? KakusaJSON.decodeValid(PaperCount.self, from: value))?.id == id)
            case .stockMoves:
                #expect((try? KakusaJSON.decodeValid(StockMove.self, from: value))?.id == id)
            }
        case .invalid(let issues, _):
            #expect(!issues.isEmpty)
            #expect(issues.allSatisfy { !$0.reason.isEmpty && !$0.code.isEmpty })
        }
    }

    @Test func mutatedNDJSONIsPublishedValidOrRejectedWithAReason() async throws {
        var rng = SeededGenerator(state: Self.seed)
        let base = Array(Self.valid.utf8)
        var rejected = 0
        var accepted = 0
        for _ in 0..<Self.iterations {
            await Task.yield()
            let lines = (0..<3).map { _ in Self.mutate(base, &rng) }
            let input = Array(lines.joined(separator: [0x0A]))
            let records = try readAll(NDJSONReader(source: ByteSource(bytes: input), file: "fuzz"))
            for record in records {
                Self.check(record, kind: .fundingRounds)
                if record.issue != nil { rejected += 1 } else {
                    if case .valid = RecordProcessor(kind: .fundingRounds).process(record.json) { accepted += 1 } else {
                        rejected += 1
                    }
                }
            }
        }
        // The generator must exercise both outcomes, or the property says nothing.
        #expect(rejected > Self.iterations)
        #expect(accepted > 10)
    }

    @Test func theFastPathAndTheFoundationPathAgreeOnEveryAcceptedRecord() async {
        var rng = SeededGenerator(state: Self.seed ^ 1)
        let base = Array(Self.valid.utf8)
        let processor = RecordProcessor(kind: .fundingRounds)
        for _ in 0..<Self.iterations {
            await Task.yield()
            let bytes = Self.mutate(base, &rng)
            guard RecordProcessor.isValidUTF8(bytes[...]),
                case .valid(let key, _, let id)? = processor.fastPath(bytes[...])
            else { continue }
            let slow = RecordProcessor.decode(FundingRound.self, bytes[...], kind: .fundingRounds)
            guard case .valid(let slowKey, _, let slowID) = slow else {
                let text = String(decoding: bytes, as: UTF8.self)
                Issue.record("fast path accepted what the Foundation path rejects: \(text)")
                continue
            }
            #expect(key == slowKey && id == slowID)
        }
    }

    @Test func mutatedJSONArraysAndCSVNeverCrashTheReaders() async throws {
        var rng = SeededGenerator(state: Self.seed ^ 2)
        let base = Array(Self.valid.utf8)
        for _ in 0..<(Self.iterations / 3) {
            await Task.yield()
            let array = Array("[".utf8) + Self.mutate(base, &rng) + Array(",".utf8) + base + Array("]".utf8)
            let reader = JSONValueReader(source: ByteSource(bytes: array), file: "fuzz", maxValueBytes: 1 << 20)
            while let batch = try? reader.nextBatch() {
                for record in batch { Self.check(record, kind: .fundingRounds) }
            }
            let csv = Array(
                "company,country,valuation.amount,valuation.currency,investors,announced_on\n".utf8)
                + Self.mutate(Array("Moonshot AI,CN,3300000000,USD,Alibaba;Tencent,2025-01-31".utf8), &rng)
            let rows = try? readAll(CSVReader(source: ByteSource(bytes: csv), file: "fuzz", kind: .fundingRounds))
            for record in rows ?? [] { Self.check(record, kind: .fundingRounds) }
        }
    }

    @Test(arguments: [
        "NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e309", "\"3300000000\"", "-1",
    ])
    func aValuationThatIsNoFinitePositiveNumberIsRejected(_ amount: String) {
        let json = Self.valid.replacingOccurrences(of: "3300000000", with: amount)
        guard case .invalid(let issues, _) = RecordProcessor(kind: .fundingRounds).process(Array(json.utf8)[...]) else {
            Issue.record("accepted valuation \(amount)")
            return
        }
        #expect(!issues.isEmpty)
    }

    @Test func deepNestingIsRejectedNotACrash() {
        for depth in [100, 1_000, 100_000] {
            let json = #"{"company":"#.utf8 + Array(repeating: UInt8(ascii: "["), count: depth)
                + Array(repeating: UInt8(ascii: "]"), count: depth) + Array("}".utf8)
            guard case .invalid(let issues, _) = RecordProcessor(kind: .fundingRounds).process(json[...]) else {
                Issue.record("accepted depth \(depth)")
                continue
            }
            #expect(!issues.isEmpty)
        }
    }
}
