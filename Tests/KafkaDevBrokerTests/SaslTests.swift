import Foundation
import KafkaDevBroker
import Testing

/// SASL on a devbroker with users: Kafka's SASL_PLAINTEXT listener accepts the right password, refuses a wrong one
/// and refuses clients that do not authenticate at all.
@Suite struct SaslTests {
    static let users = ["alice": "alice-secret", "bob": "bob-secret"]

    func withSaslBroker(_ body: (DevBroker) async throws -> Void) async throws {
        var options = DevBroker.Options()
        options.saslUsers = Self.users
        let broker = try DevBroker(options, logger: brokerLogger)
        defer { broker.shutdown() }
        try broker.createTopic("secured", partitions: 1)
        try await body(broker)
    }

    func sasl(_ mechanism: String, _ user: String, _ password: String) -> [String] {
        [
            "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=\(mechanism)", "-X",
            "sasl.username=\(user)", "-X", "sasl.password=\(password)",
        ]
    }

    @Test(arguments: ["SCRAM-SHA-256", "PLAIN"])
    func theRightPasswordIsAccepted(mechanism: String) async throws {
        try await withSaslBroker { broker in
            let auth = sasl(mechanism, "alice", "alice-secret")
            _ = try kcat(["-b", broker.bootstrapServers, "-P", "-t", "secured"] + auth, input: "one\ntwo\n")
            let out = try kcat(["-b", broker.bootstrapServers, "-C", "-t", "secured", "-e", "-q"] + auth)
            #expect(out == "one\ntwo\n")
        }
    }

    @Test(arguments: ["SCRAM-SHA-256", "PLAIN"])
    func aWrongPasswordIsRefused(mechanism: String) async throws {
        try await withSaslBroker { broker in
            let auth = sasl(mechanism, "alice", "not-her-password")
            #expect(throws: KcatFailed.self) {
                _ = try kcat(["-b", broker.bootstrapServers, "-L", "-m", "5"] + auth)
            }
            #expect(throws: KcatFailed.self) {
                _ = try kcat(["-b", broker.bootstrapServers, "-L", "-m", "5"] + sasl(mechanism, "mallory", "x"))
            }
        }
    }

    @Test func aClientWithoutSaslIsRefused() async throws {
        try await withSaslBroker { broker in
            #expect(throws: KcatFailed.self) {
                _ = try kcat(["-b", broker.bootstrapServers, "-L", "-m", "5"])
            }
        }
    }

    @Test func aCurrentLibrdkafkaAuthenticatesWithScram() async throws {
        try await withSaslBroker { broker in
            let out = try python(
                """
                import sys
                from confluent_kafka import Producer, Consumer
                auth = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "SCRAM-SHA-256",
                        "sasl.username": "bob", "sasl.password": "bob-secret"}
                p = Producer({"bootstrap.servers": sys.argv[1], **auth})
                p.produce("secured", value=b"from-python")
                assert p.flush(15) == 0
                c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "g", "auto.offset.reset": "earliest",
                              **auth})
                c.assign([__import__("confluent_kafka").TopicPartition("secured", 0, 0)])
                m = None
                for _ in range(100):
                    m = c.poll(0.2)
                    if m is not None and m.error() is None:
                        break
                print(m.value().decode())
                c.close()
                """, broker.bootstrapServers)
            #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == "from-python")
        }
    }
}
