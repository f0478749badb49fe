import Hummingbird
import KakusaKafka
import Logging
import ServiceLifecycle
import UnixSignals

/// One service process: its long-running services (Kafka clients, consumer loops) and its HTTP application,
/// run together in one `ServiceGroup` that SIGTERM and SIGINT shut down gracefully.
///
/// Services start in the order given and the HTTP application last; shutdown runs in reverse, so the HTTP server
/// stops taking requests first and the services then finish what is in hand (flush the producer, commit offsets).
/// If shutdown takes longer than ``ServiceConfiguration/shutdownTimeout``, what is still running is cancelled.
public struct ServiceProcess<HTTP: ApplicationProtocol>: Sendable {
    public var configuration: ServiceConfiguration
    public var services: [any Service]
    public var http: HTTP
    public var logger: Logger

    public init(configuration: ServiceConfiguration, services: [any Service] = [], http: HTTP, logger: Logger) {
        self.configuration = configuration
        self.services = services
        self.http = http
        self.logger = logger
    }

    /// Appends services to start after those already added (and to stop before them).
    public mutating func addServices(_ services: any Service...) {
        self.services.append(contentsOf: services)
    }

    /// Runs until a signal or a failure stops the group; returns normally after a graceful shutdown.
    public func run() async throws {
        var group = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) } + [.init(service: http, serviceName: "http")],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        group.maximumGracefulShutdownDuration = configuration.shutdownTimeout
        logger.info(
            "starting",
            metadata: [
                LogKey.version: "\(BuildInfo.kakusaVersion)",
                LogKey.brokers: "\(configuration.kafka.bootstrapServers)",
                LogKey.topicPrefix: "\(configuration.topicPrefix)",
            ]
        )
        do {
            try await ServiceGroup(configuration: group).run()
        } catch {
            logger.error("stopped on error", metadata: [LogKey.error: "\(error)"])
            throw error
        }
        logger.info("stopped")
    }
}
