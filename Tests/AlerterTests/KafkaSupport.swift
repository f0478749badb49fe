import Foundation
import KakusaKafka
import Testing

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out: \(what)" }
}

/// Reads `topic` from the beginning with a fresh group until `count` records arrived and then `settle` seconds
/// pass with nothing more (so "exactly N" is checked, not "at least N"), or fails after `deadline`.
func readAll(
    _ cluster: MockCluster, topic: String, count: Int, settle: Double = 1.5, deadline: Double = 40
) async throws -> [KafkaMessage] {
    let consumer = try KafkaConsumer(
        configuration: KafkaConsumerConfiguration(
            kafka: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers), groupID: "reader-\(UUID())",
            topics: [topic], isolationLevel: .readCommitted, sessionTimeoutMilliseconds: 6000),
        logger: testLogger)
    return try await withThrowingTaskGroup(of: [KafkaMessage]?.self) { group in
        group.addTask {
            try await consumer.run()
            return nil
        }
        group.addTask {
            var received: [KafkaMessage] = []
            let start = ContinuousClock.now
            var lastNew = ContinuousClock.now
            while ContinuousClock.now - start < .seconds(deadline) {
                if received.count >= count, ContinuousClock.now - lastNew > .seconds(settle) { return received }
                let batch = try await withThrowingTaskGroup(of: [KafkaMessage]?.self) { inner in
                    inner.addTask {
                        var iterator = consumer.messages.makeAsyncIterator()
                        return try await iterator.nextBatch()
                    }
                    inner.addTask {
                        try await Task.sleep(for: .milliseconds(300))
                        return []
                    }
                    defer { inner.cancelAll() }
                    return try await inner.next() ?? nil
                }
                if let batch, !batch.isEmpty {
                    received += batch
                    lastNew = .now
                }
            }
            throw TimedOut(what: "\(count) records on \(topic), got \(received.count)")
        }
        defer { group.cancelAll() }
        while let result = try await group.next() {
            if let result { return result }
        }
        throw CancellationError()
    }
}
