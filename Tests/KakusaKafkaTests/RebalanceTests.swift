import KakusaTestSupport
import Foundation
import KakusaKafka
import Testing

@Suite(.serialized)
struct RebalanceTests {
    @Test func aMemberDoesNotCommitForPartitionsARebalanceTookAway() async throws {
        try await withBroker(topics: ["shared": 4]) { cluster in
            let producer = try KafkaProducer(configuration: producerConfiguration(cluster), logger: testLogger)
            _ = try await producer.send(batch: (0..<400).map { message("shared", $0) })
            try await producer.close()

            let config = consumerConfiguration(cluster, group: "split", topics: ["shared"])
            let first = try KafkaConsumer(configuration: config, logger: testLogger)
            let second = try KafkaConsumer(configuration: config, logger: testLogger)
            try await withDeadline(90, "rebalance") {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await first.run() }
                    var iterator = first.messages.makeAsyncIterator()
                    var read: [KafkaMessage] = []
                    while read.count < 400, let batch = try await iterator.nextBatch() { read += batch }
                    #expect(first.assignedPartitions.count == 4)

                    // A second member joins: the first loses some partitions before it commits.
                    group.addTask { try await second.run() }
                    while first.assignedPartitions.count == 4 || second.assignedPartitions.isEmpty {
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    let kept = first.assignedPartitions
                    #expect(kept.count < 4)
                    try await first.commit(read.nextOffsets)

                    let all = (0..<4).map { TopicPartition(topic: "shared", partition: Int32($0)) }
                    let committed = try await first.committed(all)
                    #expect(Set(committed.keys) == kept, "only the partitions it still owns were committed")
                    group.cancelAll()
                }
            }
        }
    }
}
