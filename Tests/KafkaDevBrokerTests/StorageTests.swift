import Foundation
import KafkaDevBroker
import KakusaKafka
import Logging
import Testing

/// The data directory: what a devbroker acknowledged survives a restart without a clean shutdown (the files are
/// written with write(2) before the answer, so a second devbroker opening them while the first still runs sees
/// what a restart after kill -9 would), a torn tail is cut off, committed offsets and open transactions come
/// back, and a directory of another format is refused with a clear message.
@Suite(.serialized) struct StorageTests {
    @Test func aRestartServesEveryAcknowledgedRecordAndKeepsTopics() async throws {
        let directory = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try storageBroker(directory)
        try first.createTopic("kept", partitions: 3, config: ["retention.bytes": "100000000"])
        let producer = try KafkaProducer(configuration: producerConfiguration(first), logger: brokerLogger)
        _ = try await producer.send(batch: (0..<600).map { message("kept", $0) })  // idempotent: acks=all
        try await producer.close()

        // A second devbroker on the same files while the first still runs: nothing but what write(2) put there.
        let second = try storageBroker(directory)
        defer {
            second.shutdown()
            first.shutdown()
        }
        let metadata = try kcat(["-b", second.bootstrapServers, "-L", "-t", "kept"])
        #expect(metadata.contains("topic \"kept\" with 3 partitions"))
        let records = try consumeAll(second, "kept")
        #expect(records.count == 600)
        #expect(Set(records.map(\.key)) == Set((0..<600).map { "key-\($0)" }))
        for r in records { #expect(r.value == "value-" + r.key.dropFirst(4)) }

        // A new idempotent producer after the restart gets a producer id of its own (the next id was kept), so its
        // sequence 0 is accepted, and its records follow the old ones.
        let again = try KafkaProducer(configuration: producerConfiguration(second), logger: brokerLogger)
        _ = try await again.send(batch: (600..<700).map { message("kept", $0) })
        try await again.close()
        #expect(try consumeAll(second, "kept").count == 700)
        let described = try kcat(["-b", second.bootstrapServers, "-L", "-t", "kept"])
        #expect(described.contains("3 partitions"))
    }

    @Test func aTornLastWriteIsCutOffOnLoad() async throws {
        let directory = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let broker = try storageBroker(directory)
            defer { broker.shutdown() }
            try broker.createTopic("torn", partitions: 1)
            for run in 0..<3 {  // one kcat run, one batch
                let lines = (0..<10).map { "k\(run * 10 + $0):v\(run * 10 + $0)" }
                _ = try kcat(
                    ["-b", broker.bootstrapServers, "-P", "-t", "torn", "-K", ":"],
                    input: lines.joined(separator: "\n") + "\n")
            }
            #expect(try consumeAll(broker, "torn").count == 30)
        }
        let segment = try #require(try segmentFiles(directory, "torn-0").last)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: segment)[.size] as? Int)
        // Tear the last batch: as if the devbroker died in the middle of its write(2).
        #expect(truncate(segment, off_t(size - 7)) == 0)

        let restarted = try storageBroker(directory)
        defer { restarted.shutdown() }
        let records = try consumeAll(restarted, "torn")
        #expect(records.map(\.key) == (0..<20).map { "k\($0)" })
        #expect(records.map(\.offset) == (0..<20).map { Int64($0) })
        // The log goes on from the cut: the next record takes offset 20.
        _ = try kcat(["-b", restarted.bootstrapServers, "-P", "-t", "torn", "-K", ":"], input: "after:x\n")
        let after = try consumeAll(restarted, "torn")
        #expect(after.last?.key == "after")
        #expect(after.last?.offset == 20)
    }

    @Test func aCorruptBatchAndEverythingAfterItAreCutOff() async throws {
        let directory = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let broker = try storageBroker(directory)
            defer { broker.shutdown() }
            try broker.createTopic("flipped", partitions: 1)
            for run in 0..<3 {
                _ = try kcat(
                    ["-b", broker.bootstrapServers, "-P", "-t", "flipped", "-K", ":"],
                    input: (0..<5).map { "k\(run * 5 + $0):v" }.joined(separator: "\n") + "\n")
            }
        }
        let segment = try #require(try segmentFiles(directory, "flipped-0").last)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: segment))
        // The second batch starts after the first's 12 + length bytes; flip a byte of its records (CRC-covered).
        let firstLength = Int(bytes[8]) << 24 | Int(bytes[9]) << 16 | Int(bytes[10]) << 8 | Int(bytes[11])
        bytes[12 + firstLength + 65] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: segment))

        let restarted = try storageBroker(directory)
        defer { restarted.shutdown() }
        #expect(try consumeAll(restarted, "flipped").map(\.key) == (0..<5).map { "k\($0)" })
    }

    @Test func anUnknownFormatVersionIsRefusedWithAClearMessage() throws {
        let directory = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "kakusa-devbroker data directory\nformat 99\n".write(
            toFile: "\(directory)/kakusa-devbroker.format", atomically: true, encoding: .utf8)
        var options = DevBroker.Options()
        options.dataDirectory = directory
        let error = #expect(throws: DataDirectoryError.self) { _ = try DevBroker(options, logger: brokerLogger) }
        let message = error?.description ?? ""
        #expect(message.contains("format version 99"))
        #expect(message.contains("reads format 1"))
        #expect(message.contains("move the directory away"))
    }

    @Test func aForeignNonEmptyDirectoryIsRefused() throws {
        let directory = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "precious".write(toFile: "\(directory)/notes.txt", atomically: true, encoding: .utf8)
        var options = DevBroker.Options()
        options.dataDirectory = directory
        let error = #expect(throws: DataDirectoryError.self) { _ = try DevBroker(options, logger: brokerLogger) }
        #expect(error?.description.contains("notes.txt") == true)
        #expect(error?.description.contains("kakusa-devbroker.format") == true)
        #expect(FileManager.default.fileExists(atPath: "\(directory)/notes.txt"))
    }

    @Test func committedOffsetsSurviveARestart() async throws {
        let directory = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let broker = try storageBroker(directory)
            defer { broker.shutdown() }
            try broker.createTopic("offsets", partitions: 2)
            let out = try runStorageClient(
                "storage_offsets.py", broker.bootstrapServers, "keeper", "offsets", "commit", "0:17", "1:42")
            #expect(out.count == 2)
        }
        let restarted = try storageBroker(directory)
        defer { restarted.shutdown() }
        let committed = try runStorageClient(
            "storage_offsets.py", restarted.bootstrapServers, "keeper", "offsets", "committed", "2")
        let byPartition = Dictionary(
            uniqueKeysWithValues: committed.map { (($0["partition"] as? Int) ?? -1, ($0["offset"] as? Int) ?? -1) })
        #expect(byPartition == [0: 17, 1: 42])
    }

    @Test func anOpenTransactionSurvivesARestartAndIsAbortedOnItsTimeout() async throws {
        let directory = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let timeout = 4000
        do {
            let broker = try storageBroker(directory)
            defer { broker.shutdown() }
            try broker.createTopic("open", partitions: 1)
            var configuration = producerConfiguration(broker, transactionalID: "survivor")
            configuration.kafka.properties["transaction.timeout.ms"] = String(timeout)
            configuration.messageTimeoutMilliseconds = timeout
            let producer = try KafkaProducer(configuration: configuration, logger: brokerLogger)
            try await producer.initTransactions()
            try producer.beginTransaction()
            _ = try await producer.send(batch: (0..<5).map { message("open", $0) })
            // Neither committed nor aborted: the devbroker goes away with the transaction open.
        }
        let started = Date()
        let restarted = try storageBroker(directory)
        defer { restarted.shutdown() }
        _ = try kcat(["-b", restarted.bootstrapServers, "-P", "-t", "open", "-K", ":"], input: "after:plain\n")
        // Still open after the restart: read_committed stops at its first offset, before the plain record.
        let early = try consumeAll(restarted, "open", readCommitted: true)
        if Date().timeIntervalSince(started) < Double(timeout) / 1000 - 1 {
            #expect(early.isEmpty)
        }
        let all = try consumeAll(restarted, "open")
        #expect(all.count == 6, "read_uncommitted sees it all: \(all)")
        // Then the restored coordinator aborts it on its timeout: only the plain record is committed.
        let deadline = Date().addingTimeInterval(Double(timeout) / 1000 + 20)
        var committed: [ConsumedRecord] = []
        while Date() < deadline {
            committed = try consumeAll(restarted, "open", readCommitted: true)
            if !committed.isEmpty { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(committed.map(\.key) == ["after"])
    }
}

// MARK: Helpers for the storage and compaction tests

/// A new, not yet existing folder under the temporary directory.
func temporaryDataDirectory() throws -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("devbroker-storage-\(UUID().uuidString)").path
}

/// A devbroker on `directory` (nil: in memory), with the compactor's timer as given (by default, an hour: the
/// tests call compactNow).
func storageBroker(
    _ directory: String?, cleanerIntervalMilliseconds: Int64 = 3_600_000, maxMemory: Int? = nil
) throws -> DevBroker {
    var options = DevBroker.Options()
    options.dataDirectory = directory
    options.cleanerIntervalMilliseconds = cleanerIntervalMilliseconds
    options.maxMemory = maxMemory
    return try DevBroker(options, logger: brokerLogger)
}

/// The segment files of a partition folder, oldest first.
func segmentFiles(_ directory: String, _ partition: String) throws -> [String] {
    let folder = "\(directory)/logs/\(partition)"
    return try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".log") }.sorted()
        .map { "\(folder)/\($0)" }
}

struct ConsumedRecord: Equatable {
    var key: String
    /// nil for a tombstone (a null value).
    var value: String?
    var offset: Int64
    var partition: Int32
}

/// Every record of `topic` from the beginning, read by kcat (librdkafka) up to the end of each partition.
func consumeAll(_ broker: DevBroker, _ topic: String, readCommitted: Bool = false) throws -> [ConsumedRecord] {
    var arguments = ["-b", broker.bootstrapServers, "-C", "-t", topic, "-e", "-q", "-Z", "-f", "%p|%o|%k|%s\\n"]
    // librdkafka's default is read_committed: say which one.
    arguments += ["-X", "isolation.level=\(readCommitted ? "read_committed" : "read_uncommitted")"]
    return try kcat(arguments).split(separator: "\n").map { line in
        let fields = line.split(separator: "|", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        return ConsumedRecord(
            key: fields[2], value: fields[3] == "NULL" ? nil : fields[3], offset: Int64(fields[1]) ?? -1,
            partition: Int32(fields[0]) ?? -1)
    }
}

/// Runs a Python client of Tests/KafkaDevBrokerTests/Clients with the project's venv (or KAKUSA_PYTHON) and
/// returns its JSON lines; fails when it exits non-zero or Python is missing.
func runStorageClient(_ script: String, _ arguments: String...) throws -> [[String: Any]] {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    let root = folder.deletingLastPathComponent().deletingLastPathComponent()
    let interpreter = ProcessInfo.processInfo.environment["KAKUSA_PYTHON"] ?? root.appendingPathComponent(".venv/bin/python").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: interpreter)
    process.arguments = [folder.appendingPathComponent("Clients/\(script)").path] + arguments
    let stdout = Pipe()
    let stderr = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let timer = DispatchWorkItem { if process.isRunning { process.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: timer)
    let out = stdout.fileHandleForReading.readDataToEndOfFile()
    let err = stderr.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    timer.cancel()
    guard process.terminationStatus == 0 else {
        throw KcatFailed(status: process.terminationStatus, stderr: String(decoding: err, as: UTF8.self))
    }
    return String(decoding: out, as: UTF8.self).split(separator: "\n").compactMap {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
}
