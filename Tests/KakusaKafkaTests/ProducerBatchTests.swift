import KakusaTestSupport
import KakusaKafka
import Testing

@Suite(.serialized)
struct ProducerBatchTests {
    @Test func aBatchArrivesAsItsRecordsWereAppended() async throws {
        try await withBroker(topics: ["a": 3, "b": 2]) { cluster in
            let producer = try KafkaProducer(configuration: producerConfiguration(cluster), logger: testLogger)
            var batch = ProducerBatch(reservingRecords: 16)
            let n = 3_000
            for i in 0..<n {
                batch.append(
                    topic: i.isMultiple(of: 3) ? "b" : "a", key: Array("key-\(i)".utf8),
                    value: Array("value-\(i)".utf8),
                    headers: [KafkaHeader(key: "n", value: "\(i)"), KafkaHeader(key: "null", value: nil)])
            }
            batch.append(topic: "a", key: Array("tombstone".utf8), value: nil as [UInt8]?)
            batch.append(topic: "a", key: Array("empty".utf8), value: [UInt8]())
            batch.append(topic: "b", key: nil as [UInt8]?, value: Array("unkeyed".utf8), partition: 1)
            let written = batch.append(topic: "b", key: Array("written".utf8), headers: [KafkaHeader(key: "x", value: "y")]) {
                out in
                out += Array("in place".utf8)
                return true
            }
            batch.addHeader(key: "added", value: Array("later".utf8))
            let dropped = batch.append(topic: "b", key: Array("dropped".utf8)) { out in
                out += Array("half".utf8)
                return false
            }
            #expect(written && !dropped)
            #expect(batch.count == n + 4)
            let result = await (try producer.submit(batch)).wait()
            #expect(result.delivered == n + 4)
            #expect(result.failures.isEmpty)
            try await producer.close()

            let received = try await consume(consumerConfiguration(cluster, group: "batch", topics: ["a", "b"])) {
                $0.count >= n + 4
            }
            #expect(received.count == n + 4)
            let byKey = Dictionary(received.map { ($0.keyString ?? "<nil>", $0) }, uniquingKeysWith: { a, _ in a })
            for i in [0, 1, 2, 1500, n - 1] {
                let m = try #require(byKey["key-\(i)"])
                #expect(m.topic == (i.isMultiple(of: 3) ? "b" : "a"))
                #expect(m.value == Array("value-\(i)".utf8))
                #expect(m.headers == [KafkaHeader(key: "n", value: "\(i)"), KafkaHeader(key: "null", value: nil)])
            }
            #expect(byKey["tombstone"]?.value == nil)
            #expect(byKey["tombstone"] != nil)
            #expect(byKey["empty"]?.value == [])
            #expect(byKey["<nil>"]?.partition == 1)
            #expect(byKey["<nil>"]?.value == Array("unkeyed".utf8))
            #expect(byKey["written"]?.value == Array("in place".utf8))
            #expect(
                byKey["written"]?.headers == [KafkaHeader(key: "x", value: "y"), KafkaHeader(key: "added", value: "later")])
            #expect(byKey["dropped"] == nil)
        }
    }

    @Test func batchesJoinedInOrderKeepEveryRecordTopicHeaderAndNull() {
        var first = ProducerBatch()
        first.append(topic: "a", key: Array("k1".utf8), value: Array("v1".utf8), headers: [KafkaHeader(key: "h", value: "1")])
        var second = ProducerBatch()
        second.append(topic: "b", key: nil as [UInt8]?, value: Array("v2".utf8))
        second.addHeader(key: "written") { $0.append(contentsOf: "in place".utf8) }
        second.append(topic: "a", key: Array("k3".utf8), value: nil as [UInt8]?, partition: 3)
        var joined = first
        joined.append(contentsOf: second)
        joined.append(contentsOf: ProducerBatch())
        let messages = joined.messages
        #expect(messages.map(\.topic) == ["a", "b", "a"])
        #expect(messages.map(\.key) == [Array("k1".utf8), nil, Array("k3".utf8)])
        #expect(messages.map(\.value) == [Array("v1".utf8), Array("v2".utf8), nil])
        #expect(messages.map(\.headers) == [[KafkaHeader(key: "h", value: "1")], [KafkaHeader(key: "written", value: "in place")], []])
        #expect(messages.map(\.partition) == [nil, nil, 3])
        #expect(first.count == 1)
    }

    @Test func aStoredHeaderGoesOnEveryRecordItIsAddedTo() {
        var first = ProducerBatch()
        let shared = first.storeHeader(key: "ce_source", value: "/kakusa/test".utf8)
        for key in ["a", "b"] {
            first.append(topic: "t", key: key.utf8, value: "v".utf8)
            first.addHeader(shared)
            first.addHeader(key: "own", value: key.utf8)
        }
        var joined = ProducerBatch()
        joined.append(topic: "t", key: "before".utf8, value: nil as [UInt8]?)
        joined.append(contentsOf: first)
        #expect(joined.messages.map(\.headers) == [
            [],
            [KafkaHeader(key: "ce_source", value: "/kakusa/test"), KafkaHeader(key: "own", value: "a")],
            [KafkaHeader(key: "ce_source", value: "/kakusa/test"), KafkaHeader(key: "own", value: "b")],
        ])
        #expect(joined.messages.map(\.value) == [nil, Array("v".utf8), Array("v".utf8)])
    }

    @Test func aClearedBatchIsReusedWithoutItsOldRecords() {
        var batch = ProducerBatch()
        batch.append(topic: "t", key: Array("k".utf8), value: Array("v".utf8))
        batch.removeAll()
        #expect(batch.isEmpty)
        batch.append(ProducerMessage(topic: "t", key: "k2", value: "v2"))
        #expect(batch.count == 1)
    }
}
