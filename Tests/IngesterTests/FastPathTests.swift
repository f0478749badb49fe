import Foundation
import KakusaEvents
import KakusaKafka
import KakusaTestSupport
import Testing

@testable import Ingester

/// The fast path must say exactly what `JSONDecoder` + `KakusaJSON.encode` + `derivedID` say, or step aside.
@Suite struct FastPathTests {
    static let fundingSamples: [String] = [
        fundingLine("Moonshot AI", amount: 3.3e9),
        #"{"company":"  01.AI ","country":"CN","round":"Series B","valuation":{"amount":1e9,"currency":"USD"},"raised":{"amount":12345678.9,"currency":"CNY"},"investors":["Zeta","alpha","Émile"],"announced_on":"2025-01-31","source":"a/b \"quoted\" é","id":null}"#,
        #"{ "company" : "月之暗面", "country":"CN", "valuation":{"currency":"JPY","amount":510000000000}, "investors":[], "announced_on":"2025-01-31", "id":"given-id" }"#,
        #"{"company":"Tiny","country":"CN","valuation":{"amount":0.1,"currency":"USD"},"investors":["A"],"announced_on":"2024-02-29","raised":null,"round":null}"#,
        #"{"company":"Big","country":"CN","valuation":{"amount":1.2345678901234567e20,"currency":"USD"},"investors":["A"],"announced_on":"2024-02-29"}"#,
        #"{"company":"Zero","country":"CN","valuation":{"amount":-0,"currency":"USD"},"investors":["A"],"announced_on":"2024-02-29"}"#,
        #"{"company":"Esc\u0041pe","country":"CN","valuation":{"amount":1,"currency":"USD"},"investors":["A"],"announced_on":"2024-02-29"}"#,
        #"{"company":"Extra","country":"CN","valuation":{"amount":1,"currency":"USD"},"investors":["A"],"announced_on":"2024-02-29","extra":true}"#,
        #"{"company":"Twice","company":"Again","country":"CN","valuation":{"amount":1,"currency":"USD"},"investors":["A"],"announced_on":"2024-02-29"}"#,
        // Invalid ones: the fast path must step aside and the issues are JSONDecoder's.
        fundingLine("   "), fundingLine("X", amount: -5), fundingLine("X", currency: "XYZ"),
        fundingLine("X", date: "2023-02-30"),
        #"{"company":"X","country":"CN","valuation":{"amount":1},"investors":[],"announced_on":"2025-01-20"}"#,
        #"{"company":"X","country":"CN","valuation":{"amount":"1","currency":"USD"},"investors":[],"announced_on":"2025-01-20"}"#,
        #"{"company":"X","country":"cn","valuation":{"amount":01,"currency":"USD"},"investors":[],"announced_on":"2025-01-20"}"#,
        #"{"company":"X"} trailing"#, "[1,2]", "", "not json", #"{"company":"X","#,
    ]

    static let paperSamples: [String] = [
        #"{"institution":"Tsinghua University","country":"CN","year":2024,"authors":1748,"rank":2,"source":"s"}"#,
        #"{"institution":"東京大学","country":"JP","year":2024.0,"authors":171}"#,
        #"{"institution":"X","country":"JP","year":2024.5,"authors":171}"#,
        #"{"institution":"X","country":"JP","year":2024,"authors":-1}"#,
        #"{"institution":"X","country":"JP","year":2024,"authors":1,"rank":0}"#,
    ]

    static let stockSamples: [String] = [
        #"{"symbol":"nvda ","name":"NVIDIA","kind":"stock","at":"2025-01-27","change_pct":-16.97,"market_cap_change":{"amount":-91000000000000,"currency":"JPY"}}"#,
        #"{"symbol":"SOX","kind":"index","at":"2025-01-30T21:00:00Z","change_pct":4.17,"close":5000,"id":"sox-1"}"#,
        #"{"symbol":"X","kind":"bond","at":"2025-01-30","change_pct":1}"#,
        #"{"symbol":"X","kind":"stock","at":"2025-13-30","change_pct":1e400}"#,
    ]

    static func slow(_ kind: InputKind, _ text: String) -> RecordOutcome {
        let bytes = Array(text.utf8)[...]
        switch kind {
        case .fundingRounds: return RecordProcessor.decode(FundingRound.self, bytes, kind: kind)
        case .paperCounts: return RecordProcessor.decode(PaperCount.self, bytes, kind: kind)
        case .stockMoves: return RecordProcessor.decode(StockMove.self, bytes, kind: kind)
        }
    }

    static func describe(_ outcome: RecordOutcome?) -> String {
        switch outcome {
        case .valid(let key, let value, let id): "valid \(key) \(id) \(String(decoding: value, as: UTF8.self))"
        case .invalid(let issues, let key): "invalid \(key ?? "-") \(issues)"
        case nil: "nil"
        }
    }

    @Test(arguments: fundingSamples.map { (InputKind.fundingRounds, $0) } + paperSamples.map { (.paperCounts, $0) }
        + stockSamples.map { (.stockMoves, $0) })
    func fastPathAgreesWithJSONDecoder(kind: InputKind, sample: String) {
        let processor = RecordProcessor(kind: kind)
        let bytes = Array(sample.utf8)[...]
        let slow = Self.slow(kind, sample)
        if let fast = processor.fastPath(bytes) {
            #expect(Self.describe(fast) == Self.describe(slow))
        } else if case .valid = slow {
            // Stepping aside is allowed only for what the scanner does not read (escapes, unknown or repeated keys).
            let unusual = sample.contains("\\") || sample.contains("extra") || sample.contains("Twice")
            #expect(unusual, "\(sample)")
        }
        #expect(Self.describe(processor.process(bytes)) == Self.describe(slow))
    }

    @Test func fastPathTakesTheCommonRecords() {
        for (kind, sample) in [(InputKind.fundingRounds, Self.fundingSamples[0]), (.paperCounts, Self.paperSamples[0]),
                               (.stockMoves, Self.stockSamples[0])] {
            #expect(RecordProcessor(kind: kind).fastPath(Array(sample.utf8)[...]) != nil)
        }
    }

    @Test func numbersParseLikeFoundation() {
        let samples = ["0", "-0", "1", "3300000000", "0.1", "-16.97", "4.17", "12345678.9", "1e9", "1.5E-3",
                       "123456789012345678", "0.30000000000000004", "9007199254740993", "2.5e15", "1e400"]
        for sample in samples {
            var scanner = Array(sample.utf8).withUnsafeBufferPointer { buffer in
                var s = JSONScanner(buffer)
                return s.number()
            }
            let expected = try? JSONDecoder().decode([Double].self, from: Data("[\(sample)]".utf8)).first
            #expect(scanner?.bitPattern == expected?.bitPattern || (sample == "1e400"), "\(sample)")
            scanner = nil
        }
    }

    /// `FundingRoundLine` writes a funding round without a `FundingRound`: when it takes a line, the message must be
    /// the one the decoding path makes (key, value, every header), and it must never take an invalid line. Lines are
    /// generated with plain, padded, non-ASCII, invalid and reordered fields.
    @Test func fundingRoundLineWritesWhatTheDecodingPathWrites() throws {
        var random = SeededGenerator(state: 5)
        // Mostly the first (plain) values, so that many lines are valid: the others a quarter of the time.
        func pick<T>(_ values: [T]) -> T {
            values[Int(random.next() % UInt64(random.next() % 4 == 0 ? values.count : min(values.count, 2)))]
        }
        let names = ["Moonshot AI", "Zhipu", "01.AI", " Padded", "Padded ", "X-Y_z", "Émile", "\\t", "!!", "", "Zeta", "alpha"]
        let amounts = ["3300000000", "1e9", "0", "1", "12345678.9", "1.2345678901234567e20", "-5", "-0", "0.1"]
        let factory = MessageFactory(topics: Topics(), kind: .fundingRounds, source: "file:///f.ndjson", sourceFile: "f")
        var samples = Self.fundingSamples
        for _ in 0..<2000 {
            func money() -> String {
                #"{"amount":\#(pick(amounts)),"currency":"\#(pick(["USD", "CNY", "XYZ", "usd", "JPY"]))"}"#
            }
            var fields = [
                #""company":"\#(pick(names))""#, #""country":"\#(pick(["CN", "US", "XX", "cn", "JP"]))""#,
                #""valuation":\#(money())"#,
                #""investors":[\#((0..<Int(random.next() % 4)).map { _ in "\"\(pick(names))\"" }.joined(separator: ","))]"#,
                #""announced_on":"\#(pick(["2025-01-31", "2024-02-29", "2023-02-30", "2025-1-1"]))""#,
            ]
            if random.next() % 2 == 0 { fields.append(#""round":\#(pick(["null", "\"Series B\"", "\" B\"", "\"!!\""]))"#) }
            if random.next() % 2 == 0 { fields.append(#""raised":\#(random.next() % 3 == 0 ? "null" : money())"#) }
            if random.next() % 2 == 0 { fields.append(#""source":\#(pick(["null", "\"a/b\"", "\"é\""]))"#) }
            if random.next() % 2 == 0 { fields.append(#""id":\#(pick(["null", "\"given-1\"", "\"  \"", "\"\""]))"#) }
            fields.shuffle(using: &random)
            samples.append("{" + fields.joined(separator: pick([",", ", ", " ,\t"])) + "}")
        }
        var scratch = FundingRoundLine.Scratch()
        var taken = 0
        for sample in samples {
            var batch = ProducerBatch()
            let writer = factory.recordWriter(time: "2025-01-31T00:00:00Z", in: &batch)
            let appended = Array(sample.utf8).withUnsafeBufferPointer {
                FundingRoundLine.append($0, scratch: &scratch, writer: writer, to: &batch)
            }
            let slow = Self.slow(.fundingRounds, sample)
            guard appended else {
                #expect(batch.isEmpty, "\(sample)")
                continue
            }
            taken += 1
            guard case .valid(let key, let value, let id) = slow else {
                Issue.record("took an invalid line: \(sample) \(Self.describe(slow))")
                continue
            }
            let expected = factory.record(key: key, value: value, id: id, time: "2025-01-31T00:00:00Z")
            let message = try #require(batch.messages.first)
            #expect(batch.count == 1)
            #expect(message.key == expected.key, "\(sample)")
            #expect(String(decoding: message.value ?? [], as: UTF8.self) == String(decoding: value, as: UTF8.self))
            #expect(message.headers == expected.headers, "\(sample)")
            #expect(message.topic == expected.topic)
        }
        #expect(taken > 300, "the generated lines include plain ones, which the line path must take")
    }

    /// The line path sorts investors for the id by insertion: a long list (a 1 MiB line holds ~100k names) would
    /// take minutes there, so it is left to the decoding path, which gives the same record.
    @Test func aLongInvestorListGoesTheDecodingPath() throws {
        let factory = MessageFactory(topics: Topics(), kind: .fundingRounds, source: "file:///f.ndjson", sourceFile: "f")
        func line(investors count: Int) -> String {
            let names = (0..<count).reversed().map { "\"Investor \($0)\"" }.joined(separator: ",")
            return #"{"company":"Zhipu","country":"CN","valuation":{"amount":1,"currency":"USD"},"investors":["#
                + names + #"],"announced_on":"2025-01-31"}"#
        }
        var scratch = FundingRoundLine.Scratch()
        for (count, taken) in [(FundingRoundLine.maxInvestors, true), (FundingRoundLine.maxInvestors + 1, false), (5000, false)] {
            var batch = ProducerBatch()
            let writer = factory.recordWriter(time: "2025-01-31T00:00:00Z", in: &batch)
            let appended = Array(line(investors: count).utf8).withUnsafeBufferPointer {
                FundingRoundLine.append($0, scratch: &scratch, writer: writer, to: &batch)
            }
            #expect(appended == taken, "\(count) investors")
            guard case .valid = Self.slow(.fundingRounds, line(investors: count)) else {
                Issue.record("\(count) investors: the decoding path refused a valid round")
                continue
            }
        }
    }
}