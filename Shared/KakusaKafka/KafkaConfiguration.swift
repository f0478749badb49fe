#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where the cluster is and how to talk to it: the bootstrap servers plus any librdkafka property.
///
/// Read once from the environment: `KAFKA_BROKERS` (or `--brokers`) gives `bootstrap.servers`;
/// every other `KAFKA_*` variable passes through as a librdkafka property, lower-cased with `_`
/// turned into `.` (`KAFKA_SECURITY_PROTOCOL` → `security.protocol`, `KAFKA_SASL_MECHANISMS` →
/// `sasl.mechanisms`, `KAFKA_SESSION_TIMEOUT_MS` → `session.timeout.ms`), so the services work
/// against any cluster with SASL or TLS without a Kakusa-specific setting for each.
public struct KafkaConfiguration: Sendable, Equatable {
    /// The default when neither `--brokers` nor `KAFKA_BROKERS` is given.
    public static let defaultBootstrapServers = "127.0.0.1:9092"

    /// `host:port,host:port`, librdkafka's `bootstrap.servers`.
    public var bootstrapServers: String
    /// Extra librdkafka properties, applied after the client's own defaults so that they win.
    public var properties: [String: String]

    public init(bootstrapServers: String = KafkaConfiguration.defaultBootstrapServers, properties: [String: String] = [:]) {
        self.bootstrapServers = bootstrapServers
        self.properties = properties
    }

    /// Reads `KAFKA_BROKERS` and the pass-through `KAFKA_*` properties from `environment`;
    /// `brokers`, when given (the `--brokers` flag), wins over `KAFKA_BROKERS`.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment,
        brokers: String? = nil
    ) -> KafkaConfiguration {
        var properties: [String: String] = [:]
        for (name, value) in environment where name.hasPrefix("KAFKA_") && name != "KAFKA_BROKERS" {
            let property = String(name.dropFirst("KAFKA_".count).lowercased().map { $0 == "_" ? "." : $0 })
            guard !property.isEmpty else { continue }
            properties[property] = value
        }
        let bootstrap = brokers ?? environment["KAFKA_BROKERS"] ?? Self.defaultBootstrapServers
        return KafkaConfiguration(bootstrapServers: bootstrap, properties: properties)
    }

    /// Property names whose values are never logged.
    static func isSecret(_ property: String) -> Bool {
        property.contains("password") || property.contains("secret") || property.hasSuffix(".key")
            || property.contains("sasl.oauthbearer.config") || property.contains("ssl.key.pem")
    }
}
