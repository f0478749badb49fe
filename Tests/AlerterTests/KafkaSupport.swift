import KakusaTestSupport
import Foundation
import KakusaKafka
import Synchronization
import Testing

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out: \(what)" }
}

/// Reads `topic` from the beginning with a fresh group until `count` records arrived and then `settle` seconds
/// pass with nothing more (so "exactly N" is checked, not "at least N"), or fails after `deadline`.
func readAll(
    _ cluster: EmbeddedKafka, topic: String, count: Int, settle: Double = 1.5, deadline: Double = 40
) async throws -> [KafkaMessage] {
    let consumer = try KafkaConsumer(
        configuration: KafkaConsumerConfiguration(
            kafka: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers), groupID: "reader-\(UUID())",
            topics: [topic], isolationLevel: .readCommitted, sessionTimeoutMilliseconds: 6000),
        logger: testLogger)
    // One reader that never gets cancelled mid-take (a cancelled take could drop a batch in hand); the checker
    // decides when enough has arrived and then stops the consumer, which ends the reader.
    let received = ReceivedMessages()
    return try await withThrowingTaskGroup(of: [KafkaMessage]?.self) { group in
        group.addTask {
            try await consumer.run()
            return nil
        }
        group.addTask {
            var iterator = consumer.messages.makeAsyncIterator()
            while let batch = try await iterator.nextBatch() { received.append(batch) }
            return nil
        }
        group.addTask {
            let start = ContinuousClock.now
            while ContinuousClock.now - start < .seconds(deadline) {
                let (messages, lastNew) = received.snapshot()
                if messages.count >= count, ContinuousClock.now - lastNew > .seconds(settle) { return messages }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw TimedOut(what: "\(count) records on \(topic), got \(received.snapshot().0.count)")
        }
        defer { group.cancelAll() }
        while let result = try await group.next() {
            if let result { return result }
        }
        throw CancellationError()
    }
}

final class ReceivedMessages: Sendable {
    private let state = Mutex<([KafkaMessage], ContinuousClock.Instant)>(([], .now))

    func append(_ batch: [KafkaMessage]) {
        state.withLock { $0 = ($0.0 + batch, .now) }
    }

    func snapshot() -> ([KafkaMessage], ContinuousClock.Instant) { state.withLock { $0 } }
}
