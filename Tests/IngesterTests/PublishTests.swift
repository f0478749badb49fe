import Foundation
import KakusaEvents
import KakusaKafka
import KakusaTestSupport
import Testing

@testable import Ingester

@Suite(.serialized) struct PublishTests {
    /// Each bad case of the brief, between good records, with the code it must be dead-lettered with.
    static let badCases: [(line: String, code: String, field: String)] = [
        (fundingLine("   "), "empty", "company"),
        (#"{"company":"Lab","country":"CN","valuation":{"amount":1},"investors":[],"announced_on":"2025-01-20"}"#,
         "missing", "valuation.currency"),
        (fundingLine("Negative Labs", amount: -5), "negative", "valuation.amount"),
        (fundingLine("Leap Labs", date: "2023-02-30"), "invalid_date", "announced_on"),
        (fundingLine("Odd Money Labs", currency: "XYZ"), "unknown_currency", "valuation.currency"),
        ("this is not JSON", "invalid_json", ""),
    ]

    @Test func badRecordsAreDeadLetteredAndTheRestIsPublished() async throws {
        var bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array((fundingLine("First Labs") + "\r\n").utf8)
        for bad in Self.badCases { bytes += Array((bad.line + "\r\n").utf8) }
        bytes += [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x7D, 0x0A]  // {"\xFF\xFE"}: not UTF-8
        bytes += [UInt8](repeating: UInt8(ascii: " "), count: 10 * 1024 * 1024) + Array("x\n".utf8)
        bytes += Array((fundingLine("Last Labs") + "\n").utf8)
        try await withBroker { cluster in
            try await withFiles(["funding-mixed.ndjson": bytes]) { directory in
                let path = directory.appendingPathComponent("funding-mixed.ndjson").path
                let (status, stderr) = await publish([path], brokers: cluster.bootstrapServers)
                #expect(status == .rejected, "\(stderr.text)")
                let lines = stderr.lines
                #expect(lines.last?.hasPrefix("funding-rounds: 2 published, 8 rejected (dead-lettered) in ") == true)
                for (offset, bad) in Self.badCases.enumerated() {
                    let prefix = "\(path):\(offset + 2): " + (bad.field.isEmpty ? "" : "\(bad.field): ")
                    #expect(lines.contains { $0.hasPrefix(prefix) }, "no stderr line \(prefix)")
                }
                #expect(lines.contains { $0.hasPrefix("\(path):8: ") && $0.contains("UTF-8") })
                #expect(lines.contains { $0.hasPrefix("\(path):9: ") && $0.contains("longer than") })

                let messages = try await consume(
                    cluster, topics: ["kakusa.funding-rounds", "kakusa.dead-letters"], count: 10)
                let published = messages.filter { $0.topic == "kakusa.funding-rounds" }
                #expect(Set(published.compactMap(\.keyText)) == ["first-labs", "last-labs"])
                for message in published {
                    let round = try KakusaJSON.decode(FundingRound.self, from: message.value ?? [])
                    #expect(round.id == round.derivedID)
                    let ce = CloudEventHeaders(headers: message.headers.map { ($0.key, $0.stringValue ?? "") })
                    #expect(ce?.id == round.id)
                    #expect(ce?.type == "dev.kakusa.funding-round.v1")
                    #expect(ce?.source.hasSuffix("funding-mixed.ndjson") == true)
                }
                let dead = messages.filter { $0.topic == "kakusa.dead-letters" }
                #expect(dead.count == 8)
                let byLine = Dictionary(
                    dead.compactMap { m in
                        DeadLetterHeaders(headers: m.headers.map { ($0.key, $0.stringValue ?? "") }).map {
                            ($0.sourceLine ?? 0, (m, $0))
                        }
                    }, uniquingKeysWith: { a, _ in a })
                for (offset, bad) in Self.badCases.enumerated() {
                    let entry = try #require(byLine[offset + 2])
                    #expect(entry.1.errorCode == bad.code)
                    #expect((entry.1.errorField ?? "") == bad.field)
                    #expect(entry.1.sourceFile == path)
                    #expect(entry.1.originalTopic == "kakusa.funding-rounds")
                    #expect(entry.1.service == "ingester")
                    #expect(entry.0.text == bad.line)
                }
                #expect(byLine[3]?.0.keyText == "lab")
                #expect(byLine[4]?.0.keyText == "negative-labs")
                #expect(byLine[8]?.1.errorCode == "invalid_utf8")
                #expect(byLine[8]?.0.value == [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x7D])
                #expect(byLine[9]?.1.errorCode == "line_too_long")
                #expect(byLine[9]?.0.value?.count == RawRecord.tooLongPreviewBytes)
            }
        }
    }

    @Test func everyFormatPublishesAndTheSameFileGivesTheSameIDs() async throws {
        let csv = "institution,country,year,authors,rank,source\nRIKEN,JP,2024,188,64,seed\n\"MIT\",US,2024,1037,4,seed\n"
        let json = "[" + fundingLine("Array Labs") + ",\n" + fundingLine("Array Labs Two") + "]"
        let moves = #"{"symbol":"nvda","kind":"stock","at":"2025-01-27","change_pct":-16.97}"#
        try await withBroker { cluster in
            try await withFiles([
                "papers.csv": Array(csv.utf8), "rounds.json": Array(json.utf8), "stock.jsonl": Array(moves.utf8),
            ]) { directory in
                let csvPath = directory.appendingPathComponent("papers.csv").path
                let first = await publish([csvPath], brokers: cluster.bootstrapServers)
                #expect(first.status == .published)
                #expect(first.stderr.lines.last?.hasPrefix("paper-counts: 2 published, 0 rejected") == true)
                let again = await publish([csvPath], brokers: cluster.bootstrapServers)
                #expect(again.status == .published)
                let others = await publish(
                    [directory.appendingPathComponent("rounds.json").path], kind: .fundingRounds,
                    brokers: cluster.bootstrapServers)
                #expect(others.status == .published, "\(others.stderr.text)")
                let stock = await publish(
                    [directory.appendingPathComponent("stock.jsonl").path], brokers: cluster.bootstrapServers)
                #expect(stock.status == .published, "\(stock.stderr.text)")

                let messages = try await consume(
                    cluster, topics: ["kakusa.paper-counts", "kakusa.funding-rounds", "kakusa.stock-moves"], count: 7)
                let papers = messages.filter { $0.topic == "kakusa.paper-counts" }
                #expect(papers.count == 4)
                let ids = papers.compactMap { $0.headers.value(forKey: "ce_id") }
                #expect(Set(ids).count == 2, "the same file twice gives the same two ids")
                #expect(Set(papers.compactMap(\.keyText)) == ["riken-2024", "mit-2024"])
                #expect(messages.filter { $0.topic == "kakusa.funding-rounds" }.count == 2)
                let move = try #require(messages.first { $0.topic == "kakusa.stock-moves" })
                #expect(move.keyText == "NVDA")
            }
        }
    }

    @Test func aFileWithoutAKindIsRefused() async throws {
        let (status, stderr) = await publish(["/tmp/records.ndjson"], brokers: "127.0.0.1:1")
        #expect(status == .failed)
        #expect(stderr.text.contains("--kind"))
    }

    @Test func anUnreachableBrokerFailsWithStatus2() async throws {
        try await withFiles(["funding.ndjson": Array(fundingLine("Lab").utf8)]) { directory in
            let (status, stderr) = await publish(
                [directory.appendingPathComponent("funding.ndjson").path], brokers: "127.0.0.1:1")
            #expect(status == .failed)
            #expect(stderr.text.contains("cannot reach Kafka at 127.0.0.1:1"))
        }
    }

    /// `-` reads standard input: the real executable, fed through a pipe, as in `cat x | ingester publish -`.
    @Test func standardInputIsPublishedWithItsOwnSourceAndLines() async throws {
        try await withBroker { cluster in
            let input = #"{"institution":"RIKEN","country":"JP","year":2024,"authors":188}"# + "\n"
                + #"{"institution":"MIT","country":"US","year":2024,"authors":-3}"# + "\n"
            let run = try await runIngester(
                ["publish", "--brokers", cluster.bootstrapServers, "--kind", "paper-counts", "-"], stdin: input)
            #expect(run.status == 1, "\(run.stderr)")
            #expect(run.stderr.contains("<stdin>:2: authors: "), "\(run.stderr)")
            #expect(run.stderr.contains("paper-counts: 1 published, 1 rejected (dead-lettered) in "))
            #expect(!run.stderr.contains("\r"), "no progress bar in a pipe")

            let messages = try await consume(cluster, topics: ["kakusa.paper-counts", "kakusa.dead-letters"], count: 2)
            let published = try #require(messages.first { $0.topic == "kakusa.paper-counts" })
            #expect(published.keyText == "riken-2024")
            #expect(published.headers.value(forKey: "ce_source") == "/kakusa/ingester/stdin")
            let dead = try #require(messages.first { $0.topic == "kakusa.dead-letters" })
            let why = DeadLetterHeaders(headers: dead.headers.map { ($0.key, $0.stringValue ?? "") })
            #expect(why?.sourceFile == "<stdin>")
            #expect(why?.sourceLine == 2)
            #expect(why?.errorField == "authors")
        }
    }

    @Test func standardInputWithoutAKindIsAUsageError() async throws {
        let run = try await runIngester(["publish", "--brokers", "127.0.0.1:1", "-"], stdin: "")
        #expect(run.status == 2)
        #expect(run.stderr.contains("give --kind"))
    }
}

/// Runs the built `ingester` executable with `arguments`, writing `stdin` to it; returns its status and stderr.
func runIngester(_ arguments: [String], stdin: String) async throws -> (status: Int32, stderr: String) {
    let ingester = try ServiceProcessHarness.productsDirectory().appendingPathComponent("ingester").path
    let run = try CommandRun.run(ingester, arguments, input: stdin)
    return (run.status, run.stderr)
}
