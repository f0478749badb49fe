import Prometheus

/// What is running: the service and the Kakusa version, exported as `kakusa_build_info{service,version} 1`.
public struct BuildInfo: Sendable, Equatable {
    /// The version of this Kakusa build.
    public static let kakusaVersion = "0.1.0-dev"

    public var service: ServiceName
    public var version: String

    public init(service: ServiceName, version: String = BuildInfo.kakusaVersion) {
        self.service = service
        self.version = version
    }

    /// Registers the constant `kakusa_build_info` gauge; registering again returns the same gauge.
    public func register(in registry: PrometheusCollectorRegistry) {
        let name = MetricNameDescriptor(
            namespace: "kakusa",
            metricName: "build",
            unitName: "info",
            helpText: "Kakusa service and version; always 1."
        )
        registry.makeGauge(descriptor: name, labels: [("service", service.rawValue), ("version", version)]).set(to: 1)
    }
}
