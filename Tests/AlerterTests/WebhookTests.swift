import KakusaTestSupport
import Foundation
import Hummingbird
import KakusaEvents
import KakusaKafka
import Logging
import Synchronization
import Testing

@testable import Alerter

/// A local receiver on 127.0.0.1:<ephemeral>: answers with the scripted statuses in turn (then 200) and records
/// every call.
final class WebhookReceiver: Sendable {
    struct Call: Sendable {
        var headers: [String: String]
        var body: [UInt8]
        var at: ContinuousClock.Instant
    }

    let script: Mutex<[(status: Int, retryAfter: Int?)]>
    let calls = Mutex<[Call]>([])

    /// The first call answers only after this long (to provoke a client timeout).
    let firstCallDelay: Duration?

    init(script: [(status: Int, retryAfter: Int?)], firstCallDelay: Duration? = nil) {
        self.script = Mutex(script)
        self.firstCallDelay = firstCallDelay
    }

    func run<T: Sendable>(_ body: @escaping @Sendable (_ url: String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let number = self.calls.withLock {
                $0.append(Call(headers: headers, body: Array(buffer: bytes), at: .now))
                return $0.count
            }
            if number == 1, let delay = self.firstCallDelay { try await Task.sleep(for: delay) }
            let next = self.script.withLock { $0.isEmpty ? (200, nil) : $0.removeFirst() }
            var response = Response(status: .init(code: next.0))
            if let retryAfter = next.1 { response.headers[.retryAfter] = String(retryAfter) }
            return response
        }
        let port = PortBox()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.value.withLock { $0 = channel.localAddress?.port } },
            logger: testLogger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await app.runService(gracefulShutdownSignals: [])
                return nil
            }
            group.addTask {
                while port.value.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(20)) }
                return try await body("http://127.0.0.1:\(port.value.withLock { $0! })/hook")
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            throw CancellationError()
        }
    }
}

final class PortBox: Sendable {
    let value = Mutex<Int?>(nil)
}

let testLogger: Logger = {
    var logger = Logger(label: "alerter-tests")
    logger.logLevel = ProcessInfo.processInfo.environment["KAKUSA_TEST_LOG"] != nil ? .debug : .critical
    return logger
}()

let sampleAlert = Alert(
    rule: "valuation-jump", severity: .critical, subject: "moonshot-ai", message: "Moonshot AI valuation up",
    at: "2025-01-20T00:00:00Z", topic: "kakusa.valuation-changes", record: ["company": "Moonshot AI"],
    recordID: "vc-1")

func sink(url: String, attempts: Int = 5) throws -> WebhookSink {
    var sink = try WebhookSink(
        configuration: WebhookConfiguration(
            url: url, secretEnv: "HOOK_SECRET", maxAttempts: attempts, timeoutSeconds: 5),
        environment: ["HOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], logger: testLogger)
    sink.baseBackoff = .milliseconds(20)
    return sink
}

@Suite struct WebhookSignerTests {
    @Test func matchesTheStandardWebhooksSpecVector() {
        let signer = WebhookSigner(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let signature = signer.signature(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8))
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func aPlainSecretIsUsedAsRawBytes() {
        // Computed independently: python3 -c 'hmac.new(b"plain-secret", b"a1.1700000000.{\"x\":1}", sha256)'.
        let signature = WebhookSigner(secret: "plain-secret").signature(
            id: "a1", timestamp: 1_700_000_000, body: Array(#"{"x":1}"#.utf8))
        #expect(signature == "v1,sfwLRe3LMddUePOUrT3H8YxlKJVxvuCYUVXhYsqJMEQ=")
    }

    @Test func aMissingSecretIsRefusedWithoutRevealingAnything() {
        #expect(throws: WebhookSetupError.self) {
            try WebhookSink(
                configuration: WebhookConfiguration(url: "http://x/h", secretEnv: "NOPE"), environment: [:],
                logger: testLogger)
        }
    }
}

@Suite(.serialized) struct WebhookDeliveryTests {
    @Test func retriesAfter500sHonoursRetryAfterAndSignsEveryAttempt() async throws {
        let receiver = WebhookReceiver(script: [(500, nil), (429, 1), (503, nil)])
        let result = try await receiver.run { url in try await sink(url: url).deliver(sampleAlert) }
        #expect(result == .delivered(attempts: 4))
        let calls = receiver.calls.withLock { $0 }
        #expect(calls.count == 4)
        let signer = WebhookSigner(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        for call in calls {
            #expect(call.headers["webhook-id"] == sampleAlert.id)
            let timestamp = try #require(call.headers["webhook-timestamp"].flatMap { Int($0) })
            #expect(
                call.headers["webhook-signature"]
                    == signer.signature(id: sampleAlert.id, timestamp: timestamp, body: call.body))
            #expect(try KakusaJSON.decode(Alert.self, from: call.body) == sampleAlert)
        }
        // The 429 said "Retry-After: 1": the next call waited for it rather than the 20 ms back-off.
        #expect(calls[2].at - calls[1].at >= .milliseconds(950))
    }

    @Test func retriesATimedOutCall() async throws {
        let receiver = WebhookReceiver(script: [], firstCallDelay: .seconds(3))
        try await receiver.run { url in
            var sink = try sink(url: url, attempts: 3)
            sink.configuration.timeoutSeconds = 1
            let result = await sink.deliver(sampleAlert)
            // The first call times out and is retried; on a loaded machine a retry may time out too.
            if case .delivered(let attempts) = result {
                #expect(attempts >= 2)
            } else {
                Issue.record("not delivered: \(result)")
            }
        }
        #expect(receiver.calls.withLock { $0.count } >= 2)
    }

    @Test func urlsInReasonsAndLogsLoseTheirQueryString() throws {
        let url = try #require(URL(string: "https://hooks.example.com:8443/in/abc?token=s3cret"))
        #expect(WebhookSink.redacted(url) == "https://hooks.example.com:8443/in/abc")
    }

    @Test func givesUpAfterMaxAttemptsAndDeadLettersTheAlert() async throws {
        let cluster = try EmbeddedKafka(logger: testLogger)
        let topics = Topics()
        try cluster.createTopic(topics.deadLetters, partitions: 1)
        try cluster.createTopic(topics.alerts, partitions: 1)
        let kafka = KafkaConfiguration(bootstrapServers: cluster.bootstrapServers)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(kafka: kafka, clientID: "t"), logger: testLogger)
        let unusedConsumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(kafka: kafka, groupID: "g", topics: [topics.alerts]),
            logger: testLogger)
        let receiver = WebhookReceiver(script: Array(repeating: (500, nil), count: 10))
        let message = KafkaMessage(
            topic: topics.alerts, partition: 0, offset: 7, key: Array(sampleAlert.key.utf8),
            value: try KakusaJSON.encode(sampleAlert))
        try await receiver.run { url in
            let delivery = WebhookDelivery(
                sinks: [try sink(url: url, attempts: 3)], topics: topics, consumer: unusedConsumer, producer: producer,
                logger: testLogger)
            try await delivery.deliver(message)
        }
        #expect(receiver.calls.withLock { $0.count } == 3)
        let dead = try await readAll(cluster, topic: topics.deadLetters, count: 1)
        let headers = try #require(DeadLetterHeaders(headers: dead[0].headers.map { ($0.key, $0.stringValue ?? "") }))
        #expect(headers.errorCode == "webhook_failed")
        #expect(headers.errorMessage.contains("HTTP 500"))
        #expect(headers.errorMessage.contains("after 3 attempts"))
        #expect(headers.originalOffset == 7)
        #expect(dead[0].value == message.value)
        try await producer.close()
    }
}
