import Hummingbird
import KakusaService
import Logging

/// Wires the alerter: its readiness checks, its HTTP routes and, once the Kafka clients land, its consumer,
/// alerts producer and webhook sinks.
///
/// Kept apart from the command so that a test can build the same process without parsing arguments.
func buildApplication(configuration: ServiceConfiguration, logger: Logger) -> ServiceProcess<some ApplicationProtocol> {
    let readiness = Readiness()
    // Pending the Kafka clients: the consumer will own this check and set it once it has joined its group.
    readiness.set("kafka", ready: true, reason: "kafka client not wired yet")
    let http = HTTPApplicationBuilder(configuration: configuration, readiness: readiness, logger: logger)
    return ServiceProcess(configuration: configuration, http: http.build(), logger: logger)
}
