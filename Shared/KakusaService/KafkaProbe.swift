import KakusaKafka
import Logging
import ServiceLifecycle

/// Keeps the `kafka` readiness check true to the broker: asks for cluster metadata every few seconds, so
/// `/health/ready` goes false while the brokers are down and back when they answer again.
public struct KafkaProbe: Service {
    public static let checkName = "kafka"

    let producer: KafkaProducer
    let readiness: Readiness
    let brokers: String
    var interval: Duration
    var timeout: Duration
    let logger: Logger

    public init(
        producer: KafkaProducer, readiness: Readiness, brokers: String, interval: Duration = .seconds(5),
        timeout: Duration = .seconds(2), logger: Logger
    ) {
        self.producer = producer
        self.readiness = readiness
        self.brokers = brokers
        self.interval = interval
        self.timeout = timeout
        self.logger = logger
        readiness.set(Self.checkName, ready: false, reason: "not probed yet")
    }

    /// One probe; sets the check and returns whether the broker answered.
    @discardableResult
    public func probe() async -> Bool {
        do {
            let metadata = try await producer.metadata(timeout: timeout)
            if readiness.check(Self.checkName)?.ready != true {
                logger.info("kafka reachable", metadata: [LogKey.brokers: "\(brokers)"])
            }
            readiness.set(Self.checkName, ready: true, reason: "metadata from \(metadata.brokerCount) broker(s)")
            return true
        } catch {
            if readiness.check(Self.checkName)?.ready != false {
                logger.warning(
                    "kafka unreachable", metadata: [LogKey.brokers: "\(brokers)", LogKey.error: "\(error)"])
            }
            readiness.set(Self.checkName, ready: false, reason: "no metadata from \(brokers): \(error)")
            return false
        }
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await probe()
                try await Task.sleep(for: interval)
            }
        }
    }
}
