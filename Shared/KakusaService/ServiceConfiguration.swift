import KakusaKafka
import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The resolved configuration of one service process, read once at start from flags, environment and defaults.
///
/// The keys, their sources and defaults are listed in ``ConfigurationKey``; this type holds their parsed values.
/// Service-specific keys are read with ``value(_:flag:)`` so that they, too, follow flag > environment > default.
public struct ServiceConfiguration: Sendable, Equatable {
    public var service: ServiceName
    public var kafka: KafkaConfiguration
    public var httpHost: String
    /// `0` asks the kernel for a free port; the server logs the one it got.
    public var httpPort: Int
    public var topicPrefix: String
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    /// How long graceful shutdown may take before the services still running are cancelled.
    public var shutdownTimeout: Duration
    /// The environment the configuration was read from, for the service-specific keys.
    public var environment: [String: String]

    public init(
        service: ServiceName,
        kafka: KafkaConfiguration = KafkaConfiguration(),
        httpHost: String = "0.0.0.0",
        httpPort: Int? = nil,
        topicPrefix: String = "kakusa.",
        logLevel: Logger.Level = .info,
        logFormat: LogFormat = .text,
        shutdownTimeout: Duration = .seconds(8),
        environment: [String: String] = [:]
    ) {
        self.service = service
        self.kafka = kafka
        self.httpHost = httpHost
        self.httpPort = httpPort ?? service.defaultHTTPPort
        self.topicPrefix = topicPrefix
        self.logLevel = logLevel
        self.logFormat = logFormat
        self.shutdownTimeout = shutdownTimeout
        self.environment = environment
    }

    /// Resolves every common key: each `flag` that is not `nil` wins over `environment`, which wins over the default.
    public static func resolve(
        service: ServiceName,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        brokers: String? = nil,
        httpHost: String? = nil,
        httpPort: Int? = nil,
        topicPrefix: String? = nil,
        logLevel: String? = nil
    ) throws(ConfigurationError) -> ServiceConfiguration {
        func string(_ key: ConfigurationKey, _ flag: String?) -> String {
            key.resolve(flag: flag, environment: environment, service: service) ?? ""
        }
        let port = try parse(.httpPort, string(.httpPort, httpPort.map(String.init)), expected: "a port 0…65535") {
            Int($0).flatMap { (0...65535).contains($0) ? $0 : nil }
        }
        let level = try parse(.logLevel, string(.logLevel, logLevel), expected: Self.levels) {
            Logger.Level(rawValue: $0.lowercased())
        }
        let format = try parse(.logFormat, string(.logFormat, nil), expected: "text or json") {
            LogFormat(rawValue: $0.lowercased())
        }
        let timeout = try parse(.shutdownTimeout, string(.shutdownTimeout, nil), expected: "seconds ≥ 0") {
            Double($0).flatMap { $0 >= 0 ? Duration.milliseconds(Int64($0 * 1000)) : nil }
        }
        var kafka = KafkaConfiguration.fromEnvironment(environment, brokers: brokers)
        if kafka.bootstrapServers.isEmpty {
            kafka.bootstrapServers = KafkaConfiguration.defaultBootstrapServers
        }
        if kafka.properties["fetch.wait.max.ms"] == nil, isLoopbackOnly(kafka.bootstrapServers) {
            kafka.properties["fetch.wait.max.ms"] = String(loopbackFetchWaitMilliseconds)
        }
        return ServiceConfiguration(
            service: service,
            kafka: kafka,
            httpHost: string(.httpHost, httpHost),
            httpPort: port,
            topicPrefix: string(.topicPrefix, topicPrefix),
            logLevel: level,
            logFormat: format,
            shutdownTimeout: timeout,
            environment: environment
        )
    }

    /// Consumers' `fetch.wait.max.ms` when every bootstrap server is on this machine (the devbroker) and
    /// `KAFKA_FETCH_WAIT_MAX_MS` is not set. librdkafka's mock cluster holds an empty fetch for the whole wait even
    /// when records arrive meanwhile, so with librdkafka's 500 ms every consumer hop waited up to half a second.
    /// A real broker answers as soon as records arrive: there the wait only paces idle polling, and stays 500 ms.
    static let loopbackFetchWaitMilliseconds = 10

    /// Whether every `host:port` of a bootstrap list is a loopback address.
    static func isLoopbackOnly(_ bootstrapServers: String) -> Bool {
        let servers = bootstrapServers.split(separator: ",").map { $0.filter { !$0.isWhitespace } }
        return !servers.isEmpty && servers.allSatisfy { server in
            // `PLAINTEXT://host:port`: the host follows the last '/'.
            let address = server.lastIndex(of: "/").map { server[server.index(after: $0)...] } ?? Substring(server)
            let host = address.lastIndex(of: ":").map { address[..<$0] } ?? address
            let bare = host.hasPrefix("[") && host.hasSuffix("]") ? host.dropFirst().dropLast() : host
            return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
        }
    }

    /// A service-specific key (``ConfigurationKey/fxRates``, ``ConfigurationKey/rules``, …):
    /// `flag` if the service has one and it was given, else the environment, else the key's default.
    public func value(_ key: ConfigurationKey, flag: String? = nil) -> String? {
        key.resolve(flag: flag, environment: environment, service: service)
    }

    /// Like ``value(_:flag:)``, parsed with `parse`; throws ``ConfigurationError`` naming the key when it fails.
    public func value<Value>(
        _ key: ConfigurationKey,
        flag: String? = nil,
        expected: String,
        parse: (String) -> Value?
    ) throws(ConfigurationError) -> Value {
        guard let text = value(key, flag: flag) else {
            throw ConfigurationError(code: .missingValue, key: key, value: nil, expected: expected)
        }
        return try Self.parse(key, text, expected: expected, parse)
    }

    private static let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")

    private static func parse<Value>(
        _ key: ConfigurationKey,
        _ text: String,
        expected: String,
        _ parse: (String) -> Value?
    ) throws(ConfigurationError) -> Value {
        guard let value = parse(text) else {
            throw ConfigurationError(code: .invalidValue, key: key, value: text, expected: expected)
        }
        return value
    }
}
