import Foundation
import KafkaDevBroker
import KakusaKafka
import Testing

/// Consumer groups as librdkafka 2.0.2 (through KakusaKafka) uses them: the partitions of a topic are divided
/// among the members, each to exactly one; a member that leaves hands its partitions to the others; committed
/// offsets come back, and a new member of the group starts from them.
@Suite struct GroupConsumerTests {
    @Test func threeMembersShareSixPartitionsAndALeaversMoveToTheOthers() async throws {
        try await withDevBroker(topics: ["six": 6]) { broker in
            let config = consumerConfiguration(broker, group: "trio", topics: ["six"])
            let consumers = try (0..<3).map { _ in try KafkaConsumer(configuration: config, logger: brokerLogger) }
            let runs = consumers.map { c in Task { try await c.run() } }
            defer { for r in runs { r.cancel() } }

            let shared = await groupWaitFor(seconds: 60) { groupDivides(consumers.map(\.assignedPartitions), topic: "six", count: 6) }
            #expect(shared, "three members hold disjoint, non-empty parts of the six partitions: \(consumers.map(\.assignedPartitions))")

            // The first one closes (LeaveGroup): the other two take over its partitions, well within a session.
            let left = Date()
            runs[0].cancel()
            _ = try? await runs[0].value
            let rest = Array(consumers[1...])
            let moved = await groupWaitFor(seconds: 30) { groupDivides(rest.map(\.assignedPartitions), topic: "six", count: 6) }
            let took = Date().timeIntervalSince(left)
            #expect(moved, "the two left hold all six partitions: \(rest.map(\.assignedPartitions))")
            #expect(took < 6, "a member that leaves is not waited for (\(took) s)")
            for r in runs { r.cancel() }
            for r in runs { _ = try? await r.value }
        }
    }

    @Test func committedOffsetsComeBackAndANewMemberStartsThere() async throws {
        try await withDevBroker(topics: ["commits": 3]) { broker in
            let producer = try KafkaProducer(configuration: producerConfiguration(broker), logger: brokerLogger)
            _ = try await producer.send(batch: (0..<30).map { message("commits", $0) })

            let config = consumerConfiguration(broker, group: "committer", topics: ["commits"])
            let first = try KafkaConsumer(configuration: config, logger: brokerLogger)
            let run = Task { try await first.run() }
            var read: [KafkaMessage] = []
            var iterator = first.messages.makeAsyncIterator()
            while read.count < 30, let batch = try await iterator.nextBatch() { read += batch }
            #expect(read.count == 30)
            try await first.commit(read.nextOffsets)
            let all = (0..<3).map { TopicPartition(topic: "commits", partition: Int32($0)) }
            let committed = try await first.committed(all)
            var expected: [TopicPartition: Int64] = [:]
            for m in read { expected[m.topicPartition] = max(expected[m.topicPartition] ?? 0, m.offset + 1) }
            #expect(committed == expected, "each partition's committed offset is the one after its last record read")
            run.cancel()
            _ = try? await run.value

            // A new member of the group starts from the committed offsets: it reads only what came after.
            _ = try await producer.send(batch: (30..<40).map { message("commits", $0) })
            try await producer.close()
            let second = try KafkaConsumer(configuration: config, logger: brokerLogger)
            let secondRun = Task { try await second.run() }
            var again: [KafkaMessage] = []
            var secondIterator = second.messages.makeAsyncIterator()
            while again.count < 10, let batch = try await secondIterator.nextBatch() { again += batch }
            // Had it started anywhere before the committed offsets, older records would be among the first ten.
            let keys = again.prefix(10).map { String(decoding: $0.key ?? [], as: UTF8.self) }
            #expect(Set(keys) == Set((30..<40).map { "key-\($0)" }))
            secondRun.cancel()
            _ = try? await secondRun.value
        }
    }
}

/// Whether `assignments` are non-empty, pairwise disjoint and together `count` partitions of `topic`.
func groupDivides(_ assignments: [Set<TopicPartition>], topic: String, count: Int) -> Bool {
    guard assignments.allSatisfy({ !$0.isEmpty }) else { return false }
    let total = assignments.reduce(0) { $0 + $1.count }
    let union = assignments.reduce(into: Set<TopicPartition>()) { $0.formUnion($1) }
    return total == count && union == Set((0..<count).map { TopicPartition(topic: topic, partition: Int32($0)) })
}

/// Polls `condition` every 100 ms until it holds (true) or `seconds` pass (false).
func groupWaitFor(seconds: Double, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return condition()
}
