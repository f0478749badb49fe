import KakusaTestSupport
import Foundation
import KakusaKafka
import Testing

@Suite(.serialized)
struct ProduceConsumeTests {
    @Test func producedRecordsWithHeadersAreAllConsumedByAGroup() async throws {
        try await withBroker(topics: ["orders": 3, "prices": 2]) { cluster in
            let producer = try KafkaProducer(configuration: producerConfiguration(cluster), logger: testLogger)
            let n = 2_000
            let messages = (0..<n).map { i in
                message(i.isMultiple(of: 2) ? "orders" : "prices", i, headers: [
                    KafkaHeader(key: "ce_id", value: "id-\(i)"), KafkaHeader(key: "empty", value: nil),
                ])
            }
            let result = try await producer.send(batch: messages)
            #expect(result.delivered == n)
            #expect(result.failures.isEmpty)
            try await producer.close()

            let received = try await consume(consumerConfiguration(cluster, group: "g1", topics: ["orders", "prices"])) {
                $0.count >= n
            }
            #expect(received.count == n)
            let byKey = Dictionary(uniqueKeysWithValues: received.map { ($0.keyString!, $0) })
            for i in [0, 1, 999, 1998, 1999] {
                let m = try #require(byKey["key-\(i)"])
                #expect(m.topic == (i.isMultiple(of: 2) ? "orders" : "prices"))
                #expect(m.value == Array("value-\(i)".utf8))
                #expect(m.headers.value(forKey: "ce_id") == "id-\(i)")
                #expect(m.headers.contains(KafkaHeader(key: "empty", value: nil)))
            }
        }
    }

    @Test func singleSendReturnsTheBrokersOffsetAndNilValueIsATombstone() async throws {
        try await withBroker(topics: ["t": 1]) { cluster in
            let producer = try KafkaProducer(configuration: producerConfiguration(cluster), logger: testLogger)
            let first = try await producer.send(ProducerMessage(topic: "t", key: "a", value: "1"))
            let second = try await producer.send(ProducerMessage(topic: "t", key: "a", value: nil as String?))
            #expect(first.topic == "t")
            #expect(second.offset == first.offset + 1)
            try await producer.close()
            let received = try await consume(consumerConfiguration(cluster, group: "g", topics: ["t"])) { $0.count >= 2 }
            #expect(received.map(\.value) == [Array("1".utf8), nil])
        }
    }

    @Test func aNewMemberResumesAfterTheLastCommitWithNothingLostOrReadTwice() async throws {
        try await withBroker(topics: ["events": 4]) { cluster in
            let producer = try KafkaProducer(configuration: producerConfiguration(cluster), logger: testLogger)
            _ = try await producer.send(batch: (0..<500).map { message("events", $0) })

            let config = consumerConfiguration(cluster, group: "resume", topics: ["events"])
            let first = try await consume(config) { $0.count >= 200 }
            #expect(first.count >= 200)

            _ = try await producer.send(batch: (500..<800).map { message("events", $0) })
            try await producer.close()
            let second = try await consume(config) { _ in false }

            let keys = (first + second).map { $0.keyString! }
            #expect(keys.count == 800, "read \(keys.count) records over two members, expected 800")
            #expect(Set(keys).count == 800, "some records were read twice")
        }
    }

    @Test func uncommittedRecordsAreReadAgainByTheNextMember() async throws {
        try await withBroker(topics: ["events": 1]) { cluster in
            let producer = try KafkaProducer(configuration: producerConfiguration(cluster), logger: testLogger)
            _ = try await producer.send(batch: (0..<50).map { message("events", $0) })
            try await producer.close()
            let config = consumerConfiguration(cluster, group: "crashy", topics: ["events"])
            let unfinished = try await consume(config, commit: false) { $0.count >= 50 }
            let again = try await consume(config) { $0.count >= 50 }
            #expect(unfinished.count == 50)
            #expect(again.map(\.offset) == unfinished.map(\.offset))
        }
    }

    @Test func aTinyQueueIsBackPressureAndEveryRecordArrives() async throws {
        try await withBroker(topics: ["bulk": 8]) { cluster in
            let producer = try KafkaProducer(configuration: producerConfiguration(cluster, queue: 500), logger: testLogger)
            let n = 200_000
            let payload = [UInt8](repeating: 120, count: 100)
            var pending: [PendingDeliveries] = []
            for start in stride(from: 0, to: n, by: 10_000) {
                pending.append(try await producer.submit((start..<start + 10_000).map {
                    ProducerMessage(topic: "bulk", key: Array("k\($0)".utf8), value: payload)
                }))
            }
            var delivered = 0
            for p in pending {
                let result = await p.wait()
                #expect(result.failures.isEmpty)
                delivered += result.delivered
            }
            #expect(delivered == n)
            try await producer.close()
            let received = try await consume(consumerConfiguration(cluster, group: "bulk", topics: ["bulk"]), commit: false) {
                $0.count >= n
            }
            #expect(received.count == n)
            #expect(Set(received.map { $0.keyString! }).count == n)
        }
    }

    @Test func aBrokerErrorReachesTheCallerAsAKafkaError() async throws {
        try await withBroker(topics: ["t": 1]) { cluster in
            var configuration = producerConfiguration(cluster)
            configuration.messageTimeoutMilliseconds = 5_000
            let producer = try KafkaProducer(configuration: configuration, logger: testLogger)
            _ = try await producer.send(ProducerMessage(topic: "t", key: "warm", value: "up"))
            // Produce (API key 0) answered with TOPIC_AUTHORIZATION_FAILED (29), which is not retried.
            cluster.pushRequestErrors(apiKey: 0, error: 29, count: 1)
            let error = await #expect(throws: KafkaError.self) {
                try await producer.send(ProducerMessage(topic: "t", key: "k", value: "v"))
            }
            #expect(error?.code == .delivery)
            #expect(error?.rdKafkaName == "TOPIC_AUTHORIZATION_FAILED")
            try? await producer.close()
        }
    }

    @Test func anUnknownPropertyIsAConfigurationErrorNamingIt() throws {
        var kafka = KafkaConfiguration(bootstrapServers: "127.0.0.1:1")
        kafka.properties["no.such.property"] = "1"
        let error = #expect(throws: KafkaError.self) {
            _ = try KafkaProducer(configuration: KafkaProducerConfiguration(kafka: kafka), logger: testLogger)
        }
        #expect(error?.code == .configuration)
        #expect(error?.message.contains("no.such.property") == true)
    }

    @Test func closeReturnsPromptlyWhenNothingIsInFlight() async throws {
        try await withBroker(topics: ["t": 1]) { cluster in
            let producer = try KafkaProducer(configuration: producerConfiguration(cluster), logger: testLogger)
            _ = try await producer.send(ProducerMessage(topic: "t", key: "k", value: "v"))
            let clock = ContinuousClock()
            let elapsed = try await clock.measure { try await producer.close() }
            #expect(elapsed < .seconds(5))
            await #expect(throws: KafkaError.self) { try await producer.send(ProducerMessage(topic: "t", key: "k", value: "v")) }
        }
    }
}
