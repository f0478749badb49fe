import Foundation
import KafkaDevBroker
import KakusaKafka
import Testing

/// Transactions end to end with librdkafka 2.0.2 (Kakusa's KafkaProducer) writing and kcat reading, against
/// Kafka's documented promises: read_committed sees committed records only, and nothing past the last stable
/// offset; the broker aborts a transaction past transaction.timeout.ms; a new instance fences the old one.
@Suite struct TransactionTests {
    /// The keys kcat reads from the start of `topic` to its end (the last stable offset under read_committed).
    static func keys(_ broker: DevBroker, _ topic: String, readCommitted: Bool) throws -> [String] {
        let isolation = readCommitted ? "read_committed" : "read_uncommitted"
        let out = try kcat([
            "-b", broker.bootstrapServers, "-C", "-t", topic, "-e", "-q", "-X", "isolation.level=\(isolation)", "-f",
            "%k\n",
        ])
        return out.split(separator: "\n").map(String.init)
    }

    static func keys(_ range: Range<Int>) -> Set<String> { Set(range.map { "key-\($0)" }) }

    @Test func committedRecordsAreVisibleAndAbortedOnesOnlyToReadUncommitted() async throws {
        try await withDevBroker(topics: ["out": 2]) { broker in
            let producer = try KafkaProducer(
                configuration: producerConfiguration(broker, transactionalID: "tx-visibility"), logger: brokerLogger)
            try await producer.initTransactions()
            try producer.beginTransaction()
            let aborted = await (try await producer.submit((0..<10).map { message("out", $0) })).wait()
            #expect(aborted.delivered == 10, "the aborted records reached the broker before the abort")
            try await producer.abortTransaction()
            try producer.beginTransaction()
            _ = try await producer.submit((100..<110).map { message("out", $0) })
            try await producer.commitTransaction()
            try await producer.close()

            let committed = try Self.keys(broker, "out", readCommitted: true)
            #expect(committed.count == 10)
            #expect(Set(committed) == Self.keys(100..<110))
            let everything = try Self.keys(broker, "out", readCommitted: false)
            #expect(Set(everything) == Self.keys(0..<10).union(Self.keys(100..<110)))
            #expect(everything.count == 20, "markers are not records")
        }
    }

    @Test func anOpenTransactionHoldsReadCommittedReadersAtTheLastStableOffset() async throws {
        try await withDevBroker(topics: ["lso": 1]) { broker in
            _ = try kcat(["-b", broker.bootstrapServers, "-P", "-t", "lso", "-K", ":"], input: "before-0:v\nbefore-1:v\n")
            let producer = try KafkaProducer(
                configuration: producerConfiguration(broker, transactionalID: "tx-lso"), logger: brokerLogger)
            try await producer.initTransactions()
            try producer.beginTransaction()
            let open = await (try await producer.submit((0..<5).map { message("lso", $0) })).wait()
            #expect(open.delivered == 5)

            let client = try TransactionWireClient(broker)
            #expect(try client.latestOffset("lso", 0, readCommitted: true) == 2)
            #expect(try client.latestOffset("lso", 0, readCommitted: false) == 7)
            #expect(try Self.keys(broker, "lso", readCommitted: true) == ["before-0", "before-1"])
            #expect(Set(try Self.keys(broker, "lso", readCommitted: false)) == Self.keys(0..<5).union(["before-0", "before-1"]))

            try await producer.commitTransaction()
            #expect(try client.latestOffset("lso", 0, readCommitted: true) == 8, "past the commit marker")
            #expect(Set(try Self.keys(broker, "lso", readCommitted: true)) == Self.keys(0..<5).union(["before-0", "before-1"]))
            try await producer.close()
        }
    }

    @Test func theBrokerAbortsATransactionPastItsTimeoutAndFencesItsProducer() async throws {
        try await withDevBroker(topics: ["slow": 1]) { broker in
            var configuration = producerConfiguration(broker, transactionalID: "tx-slow")
            configuration.kafka.properties["transaction.timeout.ms"] = "1000"
            let producer = try KafkaProducer(configuration: configuration, logger: brokerLogger)
            try await producer.initTransactions()
            let begun = Date()
            try producer.beginTransaction()
            let sent = await (try await producer.submit((0..<5).map { message("slow", $0) })).wait()
            #expect(sent.delivered == 5)
            let client = try TransactionWireClient(broker)
            // Bounded wait for the broker's abort: the marker moves the last stable offset past the records.
            let deadline = Date().addingTimeInterval(15)
            while try client.latestOffset("slow", 0, readCommitted: true) == 0, Date() < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try client.latestOffset("slow", 0, readCommitted: true) == 6)
            #expect(Date().timeIntervalSince(begun) >= 1.0, "not aborted before its timeout")
            await #expect(throws: KafkaError.self, "the timed-out producer is fenced") {
                try await producer.commitTransaction(timeout: .seconds(10))
            }
            try? await producer.close(timeout: .seconds(5))
            #expect(try Self.keys(broker, "slow", readCommitted: true).isEmpty)
            #expect(Set(try Self.keys(broker, "slow", readCommitted: false)) == Self.keys(0..<5))
        }
    }

    @Test func aSecondProducerWithTheSameTransactionalIdFencesTheFirst() async throws {
        try await withDevBroker(topics: ["fence": 2]) { broker in
            let first = try KafkaProducer(
                configuration: producerConfiguration(broker, transactionalID: "tx-shared"), logger: brokerLogger)
            try await first.initTransactions()
            try first.beginTransaction()
            let zombie = await (try await first.submit((0..<10).map { message("fence", $0) })).wait()
            #expect(zombie.delivered == 10)

            let second = try KafkaProducer(
                configuration: producerConfiguration(broker, transactionalID: "tx-shared"), logger: brokerLogger)
            try await second.initTransactions()
            await #expect(throws: KafkaError.self, "the first producer is fenced") {
                try await first.commitTransaction(timeout: .seconds(10))
            }
            try? await first.close(timeout: .seconds(5))

            try second.beginTransaction()
            _ = try await second.submit((50..<60).map { message("fence", $0) })
            try await second.commitTransaction()
            try await second.close()
            let committed = try Self.keys(broker, "fence", readCommitted: true)
            #expect(Set(committed) == Self.keys(50..<60), "the fenced transaction never becomes visible")
            #expect(committed.count == 10)
        }
    }

    @Test func manyTransactionsInARowKeepEveryCommittedRecordOnce() async throws {
        try await withDevBroker(topics: ["many": 3]) { broker in
            let producer = try KafkaProducer(
                configuration: producerConfiguration(broker, transactionalID: "tx-many"), logger: brokerLogger)
            try await producer.initTransactions()
            for round in 0..<20 {
                try producer.beginTransaction()
                _ = try await producer.submit((0..<25).map { message("many", round * 25 + $0) })
                if round % 4 == 3 {
                    try await producer.abortTransaction()
                } else {
                    try await producer.commitTransaction()
                }
            }
            try await producer.close()
            let expected = (0..<20).filter { $0 % 4 != 3 }.reduce(into: Set<String>()) { set, round in
                set.formUnion(Self.keys(round * 25..<(round + 1) * 25))
            }
            let committed = try Self.keys(broker, "many", readCommitted: true)
            #expect(committed.count == expected.count)
            #expect(Set(committed) == expected)
        }
    }
}
