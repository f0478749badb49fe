import Foundation
import KafkaDevBroker
import Testing

/// Transactions driven by two other clients: confluent-kafka (a current librdkafka) and aiokafka (an independent
/// pure-Python implementation, which sends InitProducerId and EndTxn v0), through Clients/txn_*.py.
@Suite struct TransactionPythonTests {
    struct ScriptFailed: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs Clients/`script` with the bootstrap address, topic and scenario and returns its JSON lines; fails when
    /// Python is missing, the script fails or it runs past `seconds`.
    static func run(
        _ script: String, _ broker: DevBroker, topic: String, scenario: String, extra: [String] = [],
        seconds: Double = 90
    ) throws -> [[String: Any]]
    {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let repository = here.deletingLastPathComponent().deletingLastPathComponent()
        let python = ProcessInfo.processInfo.environment["KAKUSA_PYTHON"] ?? repository.path + "/.venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw ScriptFailed(description: "no Python at \(python) (set KAKUSA_PYTHON)")
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("txn-py-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let stdoutURL = scratch.appendingPathComponent("stdout")
        let stderrURL = scratch.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [here.appendingPathComponent("Clients/\(script)").path, broker.bootstrapServers, topic, scenario] + extra
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        let timedOut = process.isRunning
        if timedOut { process.terminate() }
        process.waitUntilExit()
        let out = try String(contentsOf: stdoutURL, encoding: .utf8)
        let err = (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? ""
        guard !timedOut, process.terminationStatus == 0 else {
            throw ScriptFailed(
                description: "\(script) \(scenario) \(timedOut ? "timed out" : "exited \(process.terminationStatus)"): "
                    + "\(out)\n\(err.suffix(3000))")
        }
        return try out.split(separator: "\n").map {
            guard let object = try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] else {
                throw ScriptFailed(description: "not a JSON object: \($0)")
            }
            return object
        }
    }

    static func step(_ lines: [[String: Any]], _ name: String, isolation: String? = nil) -> [String: Any]? {
        lines.first { $0["step"] as? String == name && (isolation == nil || $0["isolation"] as? String == isolation) }
    }

    static func keys(_ prefix: String, _ range: Range<Int>) -> Set<String> { Set(range.map { "\(prefix)-\($0)" }) }

    @Test func confluentKafkaCommitsAndAbortsAsReadCommittedReadersSee() async throws {
        try await withDevBroker(topics: ["py-c": 2]) { broker in
            let lines = try Self.run("txn_confluent.py", broker, topic: "py-c", scenario: "visibility")
            #expect(Self.step(lines, "aborted-sent")?["delivered"] as? Int == 10)
            #expect(Self.step(lines, "done") != nil)
            let committed = try TransactionTests.keys(broker, "py-c", readCommitted: true)
            #expect(Set(committed) == Self.keys("c-commit", 0..<10))
            #expect(committed.count == 10)
            let everything = try TransactionTests.keys(broker, "py-c", readCommitted: false)
            #expect(Set(everything) == Self.keys("c-commit", 0..<10).union(Self.keys("c-abort", 0..<10)))
        }
    }

    @Test func confluentKafkaProducerIsFencedByASecondInstance() async throws {
        try await withDevBroker(topics: ["py-cf": 1]) { broker in
            let lines = try Self.run("txn_confluent.py", broker, topic: "py-cf", scenario: "fence")
            let commit = try #require(Self.step(lines, "first-commit"))
            #expect(commit["error"] as? String == "_FENCED", "librdkafka reports INVALID_PRODUCER_EPOCH as fenced")
            #expect(commit["fatal"] as? Bool == true)
            #expect(Self.step(lines, "done") != nil)
            let committed = try TransactionTests.keys(broker, "py-cf", readCommitted: true)
            #expect(Set(committed) == Self.keys("c-new", 0..<5))
            #expect(committed.count == 5)
        }
    }

    @Test func aiokafkaCommitsAndAbortsAndItsReadCommittedConsumerSkipsTheAborted() async throws {
        try await withDevBroker(topics: ["py-a": 2]) { broker in
            let lines = try Self.run("txn_aiokafka.py", broker, topic: "py-a", scenario: "visibility", extra: ["2"])
            let committed = try #require(Self.step(lines, "read", isolation: "read_committed")?["keys"] as? [String])
            #expect(committed.count == 10)
            #expect(Set(committed) == Self.keys("a-commit", 0..<10))
            let everything = try #require(Self.step(lines, "read", isolation: "read_uncommitted")?["keys"] as? [String])
            #expect(Set(everything) == Self.keys("a-commit", 0..<10).union(Self.keys("a-abort", 0..<10)))
            #expect(everything.count == 20)
            // kcat (librdkafka 2.0.2) agrees.
            #expect(Set(try TransactionTests.keys(broker, "py-a", readCommitted: true)) == Self.keys("a-commit", 0..<10))
        }
    }

    @Test func aiokafkaProducerIsFencedByASecondInstance() async throws {
        try await withDevBroker(topics: ["py-af": 1]) { broker in
            let lines = try Self.run("txn_aiokafka.py", broker, topic: "py-af", scenario: "fence", extra: ["1"])
            #expect(Self.step(lines, "first-commit")?["error"] as? String == "ProducerFenced")
            let committed = try #require(Self.step(lines, "read", isolation: "read_committed")?["keys"] as? [String])
            #expect(committed.sorted() == Self.keys("a-new", 0..<5).sorted())
            let everything = try #require(Self.step(lines, "read", isolation: "read_uncommitted")?["keys"] as? [String])
            #expect(everything.count == 15, "the zombie's records are in the log, aborted")
        }
    }
}
