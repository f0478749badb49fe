import ArgumentParser

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The flags every service takes; embed with `@OptionGroup var common: CommonOptions`.
///
/// Each flag overrides the environment variable of the same ``ConfigurationKey``; ``configuration(for:environment:)``
/// resolves them, the environment and the defaults into a ``ServiceConfiguration``.
public struct CommonOptions: ParsableArguments, Sendable {
    @Option(name: .customLong("brokers"), help: ArgumentHelp(ConfigurationKey.kafkaBrokers.help))
    public var brokers: String?

    @Option(name: .customLong("http-host"), help: ArgumentHelp(ConfigurationKey.httpHost.help))
    public var httpHost: String?

    @Option(name: .customLong("http-port"), help: ArgumentHelp(ConfigurationKey.httpPort.help))
    public var httpPort: Int?

    @Option(name: .customLong("topic-prefix"), help: ArgumentHelp(ConfigurationKey.topicPrefix.help))
    public var topicPrefix: String?

    @Option(name: .customLong("log-level"), help: ArgumentHelp(ConfigurationKey.logLevel.help))
    public var logLevel: String?

    public init() {}

    /// The configuration of `service`: these flags, then `environment`, then the defaults of ``ConfigurationKey``.
    public func configuration(
        for service: ServiceName,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) -> ServiceConfiguration {
        try ServiceConfiguration.resolve(
            service: service,
            environment: environment,
            brokers: brokers,
            httpHost: httpHost,
            httpPort: httpPort,
            topicPrefix: topicPrefix,
            logLevel: logLevel
        )
    }
}
