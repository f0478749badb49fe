import KakusaTestSupport
import Foundation
import KakusaKafka
import Testing

@Suite(.serialized)
struct TransactionTests {
    @Test func aCommittedTransactionIsVisibleAndAnAbortedOneIsNot() async throws {
        try await withBroker(topics: ["out": 2]) { cluster in
            let producer = try KafkaProducer(
                configuration: producerConfiguration(cluster, transactionalID: "tx-visibility"), logger: testLogger)
            try await producer.initTransactions()

            try producer.beginTransaction()
            let aborted = await (try await producer.submit((0..<10).map { message("out", $0) })).wait()
            #expect(aborted.delivered == 10, "the aborted records reached the broker before the abort")
            try await producer.abortTransaction()

            try producer.beginTransaction()
            _ = try await producer.submit((100..<110).map { message("out", $0) })
            try await producer.commitTransaction()
            try await producer.close()

            let committed = try await consume(consumerConfiguration(cluster, group: "rc", topics: ["out"]), idle: 2) { _ in false }
            let keys = Set(committed.map { $0.keyString! })
            #expect(keys.isSuperset(of: (100..<110).map { "key-\($0)" }), "every committed record is visible")
            // read_committed readers skip the aborted transaction's records (Kafka's abort markers and index).
            #expect(keys.isDisjoint(with: (0..<10).map { "key-\($0)" }))
        }
    }

    @Test func consumedOffsetsCommitWithTheTransactionsRecords() async throws {
        try await withBroker(topics: ["in": 2, "out": 2]) { cluster in
            let input = try KafkaProducer(configuration: producerConfiguration(cluster), logger: testLogger)
            _ = try await input.send(batch: (0..<100).map { message("in", $0) })
            try await input.close()

            // Consume → produce → commit offsets, in one transaction; then abort a second one.
            let producer = try KafkaProducer(
                configuration: producerConfiguration(cluster, transactionalID: "tx-eos"), logger: testLogger)
            try await producer.initTransactions()
            let consumer = try KafkaConsumer(
                configuration: consumerConfiguration(cluster, group: "eos", topics: ["in"]), logger: testLogger)
            try await withDeadline(60, "transactional copy") {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await consumer.run() }
                    var copied = 0
                    var iterator = consumer.messages.makeAsyncIterator()
                    while copied < 100, let batch = try await iterator.nextBatch() {
                        try await producer.withTransaction(consumer: consumer, offsets: { batch.nextOffsets }) {
                            _ = try await producer.submit(batch.map {
                                ProducerMessage(topic: "out", key: $0.key, value: $0.value)
                            })
                        }
                        copied += batch.count
                    }
                    group.cancelAll()
                }
            }
            try await producer.close()

            let output = try await consume(consumerConfiguration(cluster, group: "check", topics: ["out"]), idle: 2) { _ in false }
            #expect(output.count == 100)
            // The group's committed offsets moved with the transaction: nothing left to read.
            let rest = try await consume(consumerConfiguration(cluster, group: "eos", topics: ["in"]), idle: 2) { _ in false }
            #expect(rest.isEmpty)
        }
    }

    @Test func afterAnAbortRewindingReadsTheSameRecordsAgain() async throws {
        try await withBroker(topics: ["in": 1]) { cluster in
            let input = try KafkaProducer(configuration: producerConfiguration(cluster), logger: testLogger)
            _ = try await input.send(batch: (0..<20).map { message("in", $0) })
            try await input.close()
            let consumer = try KafkaConsumer(
                configuration: consumerConfiguration(cluster, group: "rewind", topics: ["in"]), logger: testLogger)
            let (first, second) = try await withDeadline(60, "rewind") {
                try await withThrowingTaskGroup(of: ([Int64], [Int64])?.self) { group in
                    group.addTask { try await consumer.run(); return nil }
                    group.addTask {
                        var iterator = consumer.messages.makeAsyncIterator()
                        var first: [KafkaMessage] = []
                        while first.count < 20, let b = try await iterator.nextBatch() { first += b }
                        try await consumer.rewindToCommitted()
                        var again: [KafkaMessage] = []
                        var fresh = consumer.messages.makeAsyncIterator()
                        while again.count < 20, let b = try await fresh.nextBatch() { again += b }
                        return (first.map(\.offset), again.map(\.offset))
                    }
                    var result: ([Int64], [Int64]) = ([], [])
                    while let r = try await group.next() {
                        if let r {
                            result = r
                            group.cancelAll()
                        }
                    }
                    return result
                }
            }
            #expect(first == Array(0..<20))
            #expect(second == Array(0..<20))
        }
    }

    /// A rewind while the polling thread waits in librdkafka: the records fetched from the committed offset right
    /// after the seek must reach the reader, not be dropped as if polled before it (which lost rounds in the fault
    /// suite's broker outage). A short fetch wait makes the re-fetch land inside the poll that began before the seek;
    /// the pauses put the seek at different points of that poll.
    @Test func rewindingAnIdleConsumerReadsEveryRecordAgain() async throws {
        try await withBroker(topics: ["in": 1]) { cluster in
            let input = try KafkaProducer(configuration: producerConfiguration(cluster), logger: testLogger)
            _ = try await input.send(batch: (0..<20).map { message("in", $0) })
            try await input.close()
            var configuration = consumerConfiguration(cluster, group: "idle-rewind", topics: ["in"])
            configuration.kafka.properties["fetch.wait.max.ms"] = "5"
            let consumer = try KafkaConsumer(configuration: configuration, logger: testLogger)
            let reads = try await withThrowingTaskGroup(of: [[Int64]]?.self) { group in
                group.addTask { try await consumer.run(); return nil }
                group.addTask {
                    var reads: [[Int64]] = []
                    for round in 0..<12 {
                        let offsets = try await withDeadline(round == 0 ? 30 : 10, "read \(round) after rewinds") {
                            var read: [KafkaMessage] = []
                            var iterator = consumer.messages.makeAsyncIterator()
                            while read.count < 20, let b = try await iterator.nextBatch() { read += b }
                            return read.map(\.offset)
                        }
                        reads.append(offsets)
                        try await Task.sleep(for: .milliseconds(10 * round))
                        try await consumer.rewindToCommitted()
                    }
                    return reads
                }
                var result: [[Int64]] = []
                while let r = try await group.next() {
                    if let r {
                        result = r
                        group.cancelAll()
                    }
                }
                return result
            }
            #expect(reads.count == 12)
            for read in reads { #expect(read == Array(0..<20)) }
        }
    }
}
