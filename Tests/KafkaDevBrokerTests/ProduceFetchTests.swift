import Foundation
import KafkaDevBroker
import KakusaKafka
import Testing

@Suite struct ProduceFetchTests {
    @Test func kcatProducesAndConsumesEveryRecordInOrder() async throws {
        try await withDevBroker(topics: ["plain": 1]) { broker in
            let lines = (0..<1000).map { "k\($0):v\($0)" }
            _ = try kcat(["-b", broker.bootstrapServers, "-P", "-t", "plain", "-K", ":"], input: lines.joined(separator: "\n") + "\n")
            let out = try kcat(["-b", broker.bootstrapServers, "-C", "-t", "plain", "-e", "-q", "-f", "%k:%s:%o\n"])
            let got = out.split(separator: "\n").map(String.init)
            #expect(got.count == 1000)
            #expect(got.first == "k0:v0:0")
            #expect(got.last == "k999:v999:999")
        }
    }

    @Test func anIdempotentProducerWritesEachRecordOnce() async throws {
        try await withDevBroker(topics: ["idem": 3]) { broker in
            let producer = try KafkaProducer(configuration: producerConfiguration(broker), logger: brokerLogger)
            _ = try await producer.send(batch: (0..<500).map { message("idem", $0) })
            try await producer.close()
            let out = try kcat(["-b", broker.bootstrapServers, "-C", "-t", "idem", "-e", "-q", "-f", "%k\n"])
            let keys = out.split(separator: "\n").map(String.init)
            #expect(keys.count == 500)
            #expect(Set(keys).count == 500)
        }
    }
}
