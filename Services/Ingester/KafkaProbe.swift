import KakusaKafka
import KakusaService
import Logging
import ServiceLifecycle

/// Keeps the `kafka` readiness check true to the broker: asks for cluster metadata every few seconds.
struct KafkaProbe: Service {
    static let checkName = "kafka"

    let producer: KafkaProducer
    let readiness: Readiness
    let brokers: String
    var interval: Duration = .seconds(5)
    var timeout: Duration = .seconds(2)
    let logger: Logger

    /// One probe; sets the check and returns whether the broker answered.
    @discardableResult
    func probe() async -> Bool {
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

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await probe()
                try await Task.sleep(for: interval)
            }
        }
    }
}
