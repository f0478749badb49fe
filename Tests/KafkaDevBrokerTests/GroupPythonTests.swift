import Foundation
import KafkaDevBroker
import KakusaKafka
import NIOConcurrencyHelpers
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Consumer groups through the Python clients: confluent-kafka (a current librdkafka) members killed with SIGKILL,
/// aiokafka (an independent implementation of the protocol), and confluent-kafka's AdminClient listing and
/// describing groups.
@Suite struct GroupPythonTests {
    @Test func aKilledMembersPartitionsMoveToTheOthersAfterItsSession() async throws {
        try await withDevBroker(topics: ["six": 6]) { broker in
            let members = try (0..<3).map { _ in
                try GroupPythonProcess("group_member.py", broker.bootstrapServers, "killed", "six", "6000")
            }
            defer { for m in members { m.stop() } }
            let shared = await groupWaitFor(seconds: 60) {
                groupDivides(members.map(\.assignment), topic: "six", count: 6)
            }
            #expect(shared, "three members hold disjoint parts of the six partitions: \(members.map(\.assignment))")

            // SIGKILL: no LeaveGroup; the coordinator notices only when the member's 6 s session runs out.
            let killedAt = Date()
            members[0].kill()
            let rest = Array(members[1...])
            let moved = await groupWaitFor(seconds: 30) { groupDivides(rest.map(\.assignment), topic: "six", count: 6) }
            let took = Date().timeIntervalSince(killedAt)
            #expect(moved, "the two left hold all six partitions: \(rest.map(\.assignment))")
            // Removed once its session (6 s) passed, and the others rejoin at their next heartbeat (2 s).
            #expect(took > 4 && took < 12, "moved \(took) s after the kill")
        }
    }

    @Test func aiokafkaCommitsReadsBackAndResumesFromItsCommits() async throws {
        try await withDevBroker(topics: ["aio": 2]) { broker in
            let producer = try KafkaProducer(configuration: producerConfiguration(broker), logger: brokerLogger)
            _ = try await producer.send(batch: (0..<20).map { message("aio", $0) })
            let first = try groupPythonJSON("group_aiokafka.py", broker.bootstrapServers, "aio-group", "aio", "first", "20")
            let read = try #require(first["read"] as? [String])
            #expect(Set(read) == Set((0..<20).map { "key-\($0)" }))
            let committed = try #require(first["committed"] as? [String: Int])
            let ends = (0..<2).map { p in broker.cluster.groups.committedOffsetsSnapshot().first { $0.partition == p }?.offset }
            #expect(committed.values.reduce(0, +) == 20, "committed offsets sum to the records read: \(committed)")
            #expect(ends.map { $0.map(Int.init) } == [committed["0"], committed["1"]], "the coordinator holds what aiokafka read back")

            _ = try await producer.send(batch: (20..<25).map { message("aio", $0) })
            try await producer.close()
            let second = try groupPythonJSON("group_aiokafka.py", broker.bootstrapServers, "aio-group", "aio", "second", "5")
            let again = try #require(second["read"] as? [String])
            #expect(Set(again.prefix(5)) == Set((20..<25).map { "key-\($0)" }), "a new member starts at the commits")
        }
    }

    @Test func adminClientListsAndDescribesGroups() async throws {
        try await withDevBroker(brokers: 2, topics: ["described": 3, "t": 1]) { broker in
            // A simple group (offsets committed without membership) is listed too, with no protocol type.
            let simple = try GroupWire(coordinatorOf: "simple-one", in: broker)
            #expect(try await simple.commit("simple-one", generation: -1, memberID: "", partition: 0, offset: 3) == 0)

            let out = try groupPythonJSON("group_admin.py", broker.bootstrapServers, "admin-group", "described")
            let listed = try #require(out["listed"] as? [[String]])
            // ListGroups v0-2 carry no state (v4 added it), so the listing knows the ids only.
            #expect(listed.map { $0[0] } == ["admin-group", "simple-one"], "\(listed)")
            #expect((out["errors"] as? [String])?.isEmpty == true, "every broker answered ListGroups: \(out)")
            let described = try #require(out["described"] as? [String: Any])
            #expect(described["state"] as? String == "ConsumerGroupState.STABLE")
            #expect(described["simple"] as? Bool == false)
            #expect(described["assignor"] as? String == "range")
            #expect(described["coordinator"] as? Int == broker.cluster.coordinator(for: "admin-group").map { Int($0.id) })
            let members = try #require(described["members"] as? [[String: Any]])
            #expect(members.count == 1)
            #expect(members.first?["client_id"] as? String == "described-member")
            #expect(members.first?["host"] as? String == "/127.0.0.1")
            let assignment = members.first?["assignment"] as? [[Any]]
            #expect(assignment?.compactMap { $0.last as? Int } == [0, 1, 2], "its assignment: all three partitions")
        }
    }
}

/// Where the Python clients are: KAKUSA_PYTHON, else the project's venv (a test fails when neither exists).
func groupPythonInterpreter() throws -> URL {
    if let path = ProcessInfo.processInfo.environment["KAKUSA_PYTHON"] { return URL(fileURLWithPath: path) }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let venv = root.appendingPathComponent(".venv/bin/python")
    guard FileManager.default.isExecutableFile(atPath: venv.path) else {
        throw GroupPythonProcess.Failed(description: "no Python at \(venv.path) and KAKUSA_PYTHON is not set")
    }
    return venv
}

func groupClientScript(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Clients/\(name)").path
}

/// Runs a client script to its end (at most `seconds`) and returns its last JSON line.
func groupPythonJSON(_ script: String, _ arguments: String..., seconds: Double = 90) throws -> [String: Any] {
    let process = Process()
    process.executableURL = try groupPythonInterpreter()
    process.arguments = [groupClientScript(script)] + arguments
    let stdout = Pipe()
    let stderr = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // SIGKILL: the child inherits the test runner's blocked signals, SIGTERM among them.
    let timer = DispatchWorkItem { if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) } }
    DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: timer)
    let errors = GroupLocked(Data())
    DispatchQueue.global().async { errors.set(stderr.fileHandleForReading.readDataToEndOfFile()) }
    let out = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    timer.cancel()
    let err = String(decoding: errors.get(), as: UTF8.self)
    guard process.terminationStatus == 0 else {
        throw GroupPythonProcess.Failed(description: "\(script) exited \(process.terminationStatus): \(err)")
    }
    let last = String(decoding: out, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
    guard let object = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any] else {
        throw GroupPythonProcess.Failed(description: "\(script) printed no JSON object: \(last) \(err)")
    }
    return object
}

/// A value behind a lock, for what a pipe's reader thread hands to the test.
final class GroupLocked<Value>: @unchecked Sendable {
    private let lock = NIOLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.withLock { value } }
    func set(_ v: Value) { lock.withLock { value = v } }
    func update(_ change: (inout Value) -> Void) { lock.withLock { change(&value) } }
}

/// A long-running client script (a group member) whose latest reported assignment the test reads.
final class GroupPythonProcess: @unchecked Sendable {
    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    private let process = Process()
    private let latest = GroupLocked<Set<TopicPartition>>([])
    private let buffer = GroupLocked(Data())
    private let topic: String

    init(_ script: String, _ arguments: String...) throws {
        topic = arguments.count > 2 ? arguments[2] : ""
        process.executableURL = try groupPythonInterpreter()
        process.arguments = [groupClientScript(script)] + arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        let topic = topic
        let latest = latest
        let buffer = buffer
        stdout.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            guard !data.isEmpty else {
                handle.readabilityHandler = nil
                return
            }
            var lines: [Data] = []
            buffer.update { b in
                b.append(data)
                while let newline = b.firstIndex(of: 0x0a) {
                    lines.append(b[b.startIndex..<newline])
                    b.removeSubrange(b.startIndex...newline)
                }
            }
            for line in lines {
                guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
                    let partitions = object["assignment"] as? [Int]
                else { continue }
                latest.set(Set(partitions.map { TopicPartition(topic: topic, partition: Int32($0)) }))
            }
        }
        try process.run()
    }

    var assignment: Set<TopicPartition> { latest.get() }

    /// SIGKILL: the member dies without leaving the group.
    func kill() {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Ends the script; SIGKILL too, since it inherits the test runner's blocked signals (SIGTERM among them).
    func stop() { kill() }
}
