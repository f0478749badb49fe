import Foundation
import KakusaKafka
import KakusaTestSupport
import Testing

@Suite(.serialized)
struct InteroperabilityTests {
    @Test func kcatReadsWhatTheLayerWroteHeadersIncluded() async throws {
        try await withBroker(topics: ["interop": 1]) { cluster in
            let producer = try KafkaProducer(configuration: producerConfiguration(cluster), logger: testLogger)
            _ = try await producer.send(batch: (0..<3).map {
                message("interop", $0, headers: [KafkaHeader(key: "ce_type", value: "dev.kakusa.test.v1")])
            })
            try await producer.close()
            let output = try run("kcat", ["-C", "-b", cluster.bootstrapServers, "-t", "interop", "-e", "-q", "-f", "%k|%s|%h\n"])
            let lines = output.split(separator: "\n").map(String.init)
            #expect(lines == (0..<3).map { "key-\($0)|value-\($0)|ce_type=dev.kakusa.test.v1" })
        }
    }

    @Test func theLayerReadsWhatKcatWrote() async throws {
        try await withBroker(topics: ["from-kcat": 1]) { cluster in
            _ = try run("kcat", ["-P", "-b", cluster.bootstrapServers, "-t", "from-kcat", "-K", ":", "-H", "origin=kcat"],
                        input: "a:1\nb:2\n")
            let received = try await consume(consumerConfiguration(cluster, group: "k", topics: ["from-kcat"])) { $0.count >= 2 }
            #expect(received.map { $0.keyString! } == ["a", "b"])
            #expect(received.first?.headers.value(forKey: "origin") == "kcat")
        }
    }

    @Test func ensureTopicsDoesNotHangWhenTheBrokerLeavesCreateTopicsUnanswered() async throws {
        try await withBroker(topics: ["present": 2]) { cluster in
            let kafka = KafkaConfiguration(bootstrapServers: cluster.bootstrapServers)
            let outcome = try await withDeadline(30, "ensureTopics") {
                try await KafkaAdmin.ensureTopics(
                    [TopicRequest(name: "present", partitions: 2), TopicRequest(name: "absent", partitions: 2, compacted: true)],
                    configuration: kafka, logger: testLogger, timeout: .seconds(2))
            }
            #expect(outcome.existing == ["present"])
            #expect(outcome.created + outcome.unanswered == ["absent"])
        }
    }

    @Test func environmentVariablesPassThroughAsLibrdkafkaProperties() {
        let kafka = KafkaConfiguration.fromEnvironment([
            "KAFKA_BROKERS": "b1:9092,b2:9092", "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_MECHANISMS": "PLAIN", "KAFKA_SESSION_TIMEOUT_MS": "6000", "PATH": "/bin",
        ])
        #expect(kafka.bootstrapServers == "b1:9092,b2:9092")
        #expect(kafka.properties == ["security.protocol": "SASL_SSL", "sasl.mechanisms": "PLAIN", "session.timeout.ms": "6000"])
        #expect(KafkaConfiguration.fromEnvironment(["KAFKA_BROKERS": "x:1"], brokers: "flag:2").bootstrapServers == "flag:2")
    }
}

/// Runs a command and returns its standard output; fails on a non-zero exit.
func run(_ command: String, _ arguments: [String], input: String? = nil) throws -> String {
    try CommandRun.run(command, arguments, input: input).output(of: command)
}
