import Logging
import Metrics
import Prometheus
import Synchronization

/// The process-wide logging and metrics bootstrap, done once before anything logs or records a metric.
///
/// swift-log and swift-metrics allow one bootstrap a process; this is the only global state the kit sets.
public enum ServiceBootstrap {
    private static let bootstrapped = Mutex(false)

    /// Sends logs to stderr in the configured format and level, and swift-metrics to `registry`, which `/metrics`
    /// serves. Later calls change nothing. Returns the service's root logger, labelled with its name.
    @discardableResult
    public static func bootstrap(
        _ configuration: ServiceConfiguration,
        registry: PrometheusCollectorRegistry = PrometheusMetricsFactory.defaultRegistry
    ) -> Logger {
        let first = bootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        if first {
            let format = configuration.logFormat
            let level = configuration.logLevel
            LoggingSystem.bootstrap { label in
                KakusaLogHandler(label: label, format: format, logLevel: level)
            }
            var factory = PrometheusMetricsFactory(registry: registry)
            factory.nameAndLabelSanitizer = { name, labels in
                (prometheusName(name), labels.map { (prometheusName($0.0, allowColon: false), $0.1) })
            }
            MetricsSystem.bootstrap(factory)
        }
        return Logger(label: configuration.service.rawValue)
    }

    /// Libraries name metrics with dots (`http.server.request.duration`); Prometheus allows `[a-zA-Z0-9_:]`.
    static func prometheusName(_ name: String, allowColon: Bool = true) -> String {
        var out = ""
        for (index, character) in name.enumerated() {
            let valid =
                character.isASCII
                && (character.isLetter || character == "_" || (allowColon && character == ":")
                    || (index > 0 && character.isNumber))
            out.append(valid ? character : "_")
        }
        return out
    }
}
