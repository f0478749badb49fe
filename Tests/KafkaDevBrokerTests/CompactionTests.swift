import Foundation
import KafkaDevBroker
import KakusaKafka
import Logging
import Testing

/// `cleanup.policy=compact`, as Kafka documents it: below the active segment the latest record of each key is
/// kept at its own offset, tombstones go after `delete.retention.ms`, aborted transactions' records go, and a
/// read_committed consumer sees the same latest values as before.
@Suite(.serialized) struct CompactionTests {
    /// Small segments so that most of the log is below the active segment, as a long-running topic's is.
    static let compacted = ["cleanup.policy": "compact", "segment.bytes": "2048"]

    /// `count` updates of `keys` keys, one kcat run per `perRun` records (each run is one batch or a few).
    func produceUpdates(_ broker: DevBroker, _ topic: String, count: Int, keys: Int, perRun: Int = 50, extra: [String] = [])
        throws
    {
        var lines = (0..<count).map { "k\($0 % keys):v\($0)" }
        lines += extra
        var start = 0
        while start < lines.count {
            let chunk = lines[start..<min(start + perRun, lines.count)]
            _ = try kcat(
                ["-b", broker.bootstrapServers, "-P", "-t", topic, "-K", ":", "-Z"],
                input: chunk.joined(separator: "\n") + "\n")
            start += perRun
        }
    }

    @Test func theLatestRecordOfEachKeyIsKeptAtItsOwnOffset() async throws {
        let broker = try storageBroker(nil)
        defer { broker.shutdown() }
        try broker.createTopic("latest", partitions: 1, config: Self.compacted)
        try produceUpdates(broker, "latest", count: 1000, keys: 10)
        let before = try consumeAll(broker, "latest")
        #expect(before.count == 1000)
        let bytesBefore = broker.cluster.storedBatchBytes

        let pass = broker.cluster.compactNow()
        #expect(pass.recordsRemoved > 0)
        let after = try consumeAll(broker, "latest")
        #expect(after.count < 300)
        // Survivors keep their offsets (record i was produced at offset i), in order.
        for r in after { #expect(r.value == "v\(r.offset)") }
        #expect(after.map(\.offset) == after.map(\.offset).sorted())
        // The latest value of every key is there, and is the last one read for it.
        var lastSeen: [String: String] = [:]
        for r in after { lastSeen[r.key] = r.value }
        #expect(lastSeen == Dictionary(uniqueKeysWithValues: (990..<1000).map { ("k\($0 % 10)", "v\($0)") }))
        // The memory budget's count goes down with the freed bytes.
        #expect(broker.cluster.storedBatchBytes < bytesBefore)
        #expect(broker.cluster.storedBatchBytes == bytesBefore - pass.bytesFreed)
    }

    @Test func theBackgroundCleanerCompactsOnItsOwn() async throws {
        let broker = try storageBroker(nil, cleanerIntervalMilliseconds: 200)
        defer { broker.shutdown() }
        try broker.createTopic("background", partitions: 1, config: Self.compacted)
        try produceUpdates(broker, "background", count: 600, keys: 5)
        let deadline = Date().addingTimeInterval(20)
        var records = try consumeAll(broker, "background")
        while records.count >= 600 && Date() < deadline {
            try await Task.sleep(for: .milliseconds(200))
            records = try consumeAll(broker, "background")
        }
        #expect(records.count < 600)
        for r in records { #expect(r.value == "v\(r.offset)") }
        #expect(Set(records.map(\.key)) == Set((0..<5).map { "k\($0)" }))
    }

    @Test func tombstonesStayForDeleteRetentionThenGo() async throws {
        let broker = try storageBroker(nil)
        defer { broker.shutdown() }
        try broker.createTopic("kept-tombstones", partitions: 1, config: Self.compacted)
        var config = Self.compacted
        config["delete.retention.ms"] = "0"
        try broker.createTopic("dropped-tombstones", partitions: 1, config: config)
        for topic in ["kept-tombstones", "dropped-tombstones"] {
            // Tombstones for k1 and k3 (-Z: an empty value is sent as null), then filler that rolls the segment.
            try produceUpdates(
                broker, topic, count: 100, keys: 5, extra: ["k1:", "k3:"] + (0..<150).map { "f\($0 % 3):filler" })
        }
        broker.cluster.compactNow()
        for topic in ["kept-tombstones", "dropped-tombstones"] {
            // First pass: superseded values of k1 and k3 are gone, their tombstones are kept (the horizon starts).
            let records = try consumeAll(broker, topic)
            #expect(!records.contains { ($0.key == "k1" || $0.key == "k3") && $0.value != nil })
            #expect(records.filter { $0.value == nil }.map(\.key) == ["k1", "k3"])
        }
        try await Task.sleep(for: .milliseconds(20))
        broker.cluster.compactNow()
        let kept = try consumeAll(broker, "kept-tombstones")
        #expect(kept.filter { $0.value == nil }.map(\.key) == ["k1", "k3"])
        let dropped = try consumeAll(broker, "dropped-tombstones")
        #expect(!dropped.contains { $0.key == "k1" || $0.key == "k3" })
        #expect(Set(dropped.filter { $0.key.hasPrefix("k") }.map(\.key)) == ["k0", "k2", "k4"])
    }

    @Test func gzipBatchesAreCompactedToo() async throws {
        let broker = try storageBroker(nil)
        defer { broker.shutdown() }
        try broker.createTopic("gzipped", partitions: 1, config: Self.compacted)
        var start = 0
        while start < 800 {
            let lines = (start..<start + 100).map { "k\($0 % 8):v\($0)" }
            _ = try kcat(
                ["-b", broker.bootstrapServers, "-P", "-t", "gzipped", "-K", ":", "-z", "gzip"],
                input: lines.joined(separator: "\n") + "\n")
            start += 100
        }
        let pass = broker.cluster.compactNow()
        #expect(pass.recordsRemoved > 0)
        let after = try consumeAll(broker, "gzipped")
        #expect(after.count < 300)
        for r in after { #expect(r.value == "v\(r.offset)") }
        var lastSeen: [String: String] = [:]
        for r in after { lastSeen[r.key] = r.value }
        #expect(lastSeen == Dictionary(uniqueKeysWithValues: (792..<800).map { ("k\($0 % 8)", "v\($0)") }))
    }

    @Test func abortedTransactionsAreRemovedAndReadCommittedSeesTheSameLatestValues() async throws {
        let broker = try storageBroker(nil)
        defer { broker.shutdown() }
        try broker.createTopic("txn-compacted", partitions: 1, config: Self.compacted)
        let producer = try KafkaProducer(
            configuration: producerConfiguration(broker, transactionalID: "compacting"), logger: brokerLogger)
        try await producer.initTransactions()
        func transaction(_ values: [(String, String)], commit: Bool) async throws {
            try producer.beginTransaction()
            _ = try await producer.send(batch: values.map { ProducerMessage(topic: "txn-compacted", key: $0.0, value: $0.1) })
            if commit { try await producer.commitTransaction() } else { try await producer.abortTransaction() }
        }
        try await transaction([("a", "1"), ("b", "1")], commit: true)
        try await transaction([("a", "2"), ("c", "2")], commit: false)
        try await transaction([("a", "3")], commit: true)
        try await producer.close()
        try produceUpdates(broker, "txn-compacted", count: 150, keys: 3)  // filler with other keys: rolls segments

        func latest(_ records: [ConsumedRecord]) -> [String: String] {
            var out: [String: String] = [:]
            for r in records where ["a", "b", "c"].contains(r.key) { out[r.key] = r.value }
            return out
        }
        let committedBefore = latest(try consumeAll(broker, "txn-compacted", readCommitted: true))
        #expect(committedBefore == ["a": "3", "b": "1"])
        #expect(latest(try consumeAll(broker, "txn-compacted")) == ["a": "3", "b": "1", "c": "2"])

        broker.cluster.compactNow()
        let committedAfter = try consumeAll(broker, "txn-compacted", readCommitted: true)
        #expect(latest(committedAfter) == committedBefore)
        // The aborted records are gone for every reader, read_uncommitted included.
        let uncommitted = try consumeAll(broker, "txn-compacted")
        #expect(!uncommitted.contains { $0.key == "c" })
        #expect(uncommitted.filter { $0.key == "a" }.map(\.value) == ["3"])
    }

    @Test func compactionFreesTheMemoryBudget() async throws {
        let broker = try storageBroker(nil, maxMemory: 40_000)
        defer { broker.shutdown() }
        try broker.createTopic("budget", partitions: 1, config: Self.compacted)
        // Fill the budget with updates of few keys until a produce is refused (POLICY_VIOLATION).
        var refused = false
        var produced = 0
        while !refused && produced < 5000 {
            let lines = (produced..<produced + 50).map { "k\($0 % 4):v\($0)" }
            do {
                _ = try kcat(
                    ["-b", broker.bootstrapServers, "-P", "-t", "budget", "-K", ":", "-X", "message.timeout.ms=3000"],
                    input: lines.joined(separator: "\n") + "\n")
                produced += 50
            } catch {
                refused = true
            }
        }
        #expect(refused)
        #expect(broker.cluster.storedBatchBytes <= 40_000)
        broker.cluster.compactNow()
        #expect(broker.cluster.storedBatchBytes < 10_000)
        _ = try kcat(["-b", broker.bootstrapServers, "-P", "-t", "budget", "-K", ":"], input: "k0:accepted\n")
        #expect(try consumeAll(broker, "budget").last?.value == "accepted")
    }

    @Test func aCompactedLogIsWhatARestartLoads() async throws {
        let directory = try temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let expected: [ConsumedRecord]
        do {
            let broker = try storageBroker(directory)
            defer { broker.shutdown() }
            try broker.createTopic("durable-compacted", partitions: 1, config: Self.compacted)
            try produceUpdates(broker, "durable-compacted", count: 500, keys: 6)
            broker.cluster.compactNow()
            expected = try consumeAll(broker, "durable-compacted")
            #expect(expected.count < 200)
        }
        let restarted = try storageBroker(directory)
        defer { restarted.shutdown() }
        #expect(try consumeAll(restarted, "durable-compacted") == expected)
        _ = try kcat(["-b", restarted.bootstrapServers, "-P", "-t", "durable-compacted", "-K", ":"], input: "k0:next\n")
        #expect(try consumeAll(restarted, "durable-compacted").last?.offset == 500)
    }
}
