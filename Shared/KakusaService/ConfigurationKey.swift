import KakusaKafka

/// Every configuration key of every Kakusa service, in one table: environment name, flag, default, meaning.
///
/// Precedence is always flag, then environment, then default. An environment variable set to the empty string
/// counts as unset, so a compose file may write `KAKUSA_RULES=${KAKUSA_RULES:-}`. Keys marked with a service are
/// read only by that service; the common keys are read by all three through ``CommonOptions``.
/// The librdkafka pass-through (`KAFKA_SECURITY_PROTOCOL`, SASL, TLS, …) is described by `KafkaConfiguration`.
/// One pass-through property has a Kakusa default: `KAFKA_FETCH_WAIT_MAX_MS` is 10 ms when every bootstrap server
/// is on loopback (the devbroker), librdkafka's 500 ms otherwise (see `ServiceConfiguration`).
///
/// | environment               | flag             | default                                    | used by    |
/// |---------------------------|------------------|--------------------------------------------|------------|
/// | `KAFKA_BROKERS`           | `--brokers`      | `127.0.0.1:9092`                           | all        |
/// | `KAKUSA_HTTP_HOST`        | `--http-host`    | `0.0.0.0`                                  | all        |
/// | `KAKUSA_HTTP_PORT`        | `--http-port`    | 8081 / 8082 / 8083; `0` picks a free port  | all        |
/// | `KAKUSA_TOPIC_PREFIX`     | `--topic-prefix` | `kakusa.`                                  | all        |
/// | `KAKUSA_LOG_LEVEL`        | `--log-level`    | `info`                                     | all        |
/// | `KAKUSA_LOG_FORMAT`       |                  | `text` (or `json`)                         | all        |
/// | `KAKUSA_SHUTDOWN_TIMEOUT` |                  | `8` seconds, then cancellation             | all        |
/// | `KAKUSA_MAX_BODY_BYTES`   |                  | `10485760` (10 MiB)                        | ingester   |
/// | `KAKUSA_FX_RATES`         |                  | `JPY=155,CNY=7.25,EUR=0.92,GBP=0.79,USD=1` | aggregator |
/// | `KAKUSA_AGGREGATOR_GROUP` |                  | `kakusa-aggregator`                        | aggregator |
/// | `KAKUSA_AGGREGATOR_BATCH` |                  | `50000` records a transaction, at most     | aggregator |
/// | `KAKUSA_INSTANCE_ID`      |                  | the host name                              | aggregator |
/// | `KAKUSA_RULES`            |                  | none: required                             | alerter    |
/// | `KAKUSA_ALERTER_GROUP`    |                  | `kakusa-alerter`                           | alerter    |
public enum ConfigurationKey: String, Sendable, CaseIterable {
    case kafkaBrokers
    case httpHost
    case httpPort
    case topicPrefix
    case logLevel
    case logFormat
    case shutdownTimeout
    case maxBodyBytes
    case fxRates
    case aggregatorGroup
    case aggregatorBatch
    case instanceID
    case rules
    case alerterGroup

    /// The environment variable that sets this key.
    public var environmentName: String {
        switch self {
        case .kafkaBrokers: "KAFKA_BROKERS"
        case .httpHost: "KAKUSA_HTTP_HOST"
        case .httpPort: "KAKUSA_HTTP_PORT"
        case .topicPrefix: "KAKUSA_TOPIC_PREFIX"
        case .logLevel: "KAKUSA_LOG_LEVEL"
        case .logFormat: "KAKUSA_LOG_FORMAT"
        case .shutdownTimeout: "KAKUSA_SHUTDOWN_TIMEOUT"
        case .maxBodyBytes: "KAKUSA_MAX_BODY_BYTES"
        case .fxRates: "KAKUSA_FX_RATES"
        case .aggregatorGroup: "KAKUSA_AGGREGATOR_GROUP"
        case .aggregatorBatch: "KAKUSA_AGGREGATOR_BATCH"
        case .instanceID: "KAKUSA_INSTANCE_ID"
        case .rules: "KAKUSA_RULES"
        case .alerterGroup: "KAKUSA_ALERTER_GROUP"
        }
    }

    /// The long command-line flag, without dashes, for the keys that have one.
    public var flag: String? {
        switch self {
        case .kafkaBrokers: "brokers"
        case .httpHost: "http-host"
        case .httpPort: "http-port"
        case .topicPrefix: "topic-prefix"
        case .logLevel: "log-level"
        default: nil
        }
    }

    /// The service that reads this key, or `nil` when every service does.
    public var service: ServiceName? {
        switch self {
        case .maxBodyBytes: .ingester
        case .fxRates, .aggregatorGroup, .aggregatorBatch, .instanceID: .aggregator
        case .rules, .alerterGroup: .alerter
        default: nil
        }
    }

    /// The value used when neither flag nor environment gives one; `nil` when the key has no default.
    public func defaultValue(for service: ServiceName) -> String? {
        switch self {
        case .kafkaBrokers: KafkaConfiguration.defaultBootstrapServers
        case .httpHost: "0.0.0.0"
        case .httpPort: String(service.defaultHTTPPort)
        case .topicPrefix: "kakusa."
        case .logLevel: "info"
        case .logFormat: "text"
        case .shutdownTimeout: "8"
        case .maxBodyBytes: String(10 * 1024 * 1024)
        case .fxRates: "JPY=155,CNY=7.25,EUR=0.92,GBP=0.79,USD=1"
        case .aggregatorGroup: "kakusa-aggregator"
        case .aggregatorBatch: "50000"
        case .instanceID: nil
        case .rules: nil
        case .alerterGroup: "kakusa-alerter"
        }
    }

    /// One line for `--help` and the docs.
    public var summary: String {
        switch self {
        case .kafkaBrokers: "Kafka bootstrap servers, host:port[,host:port]."
        case .httpHost: "Address the HTTP server (health, metrics, API) binds to."
        case .httpPort: "HTTP port; 0 picks a free port and logs it."
        case .topicPrefix: "Prefix of every Kakusa topic name."
        case .logLevel: "trace, debug, info, notice, warning, error or critical."
        case .logFormat: "text (key=value metadata) or json (one object a line)."
        case .shutdownTimeout: "Seconds graceful shutdown may take before work in hand is cancelled."
        case .maxBodyBytes: "Largest request body the ingester accepts, in bytes."
        case .fxRates: "Units of each currency per USD, CODE=rate[,CODE=rate]."
        case .aggregatorGroup: "Kafka consumer group of the aggregator."
        case .aggregatorBatch:
            "Most input records the aggregator takes into one transaction (fewer when fewer are waiting)."
        case .instanceID: "Stable name of this instance, in its transactional id (one per instance of a group)."
        case .rules: "Path of the alert rules YAML file."
        case .alerterGroup: "Kafka consumer group of the alerter."
        }
    }

    /// Help for a flag: the summary plus the environment variable and default it overrides.
    public var help: String {
        let fallback =
            self == .httpPort
            ? ServiceName.allCases.map { "\($0.defaultHTTPPort) \($0)" }.joined(separator: ", ")
            : defaultValue(for: service ?? .ingester)
        return "\(summary) (env \(environmentName)\(fallback.map { ", default \($0)" } ?? ""))"
    }

    /// The value of this key: `flag` if given, else the environment variable if set and not empty, else the default.
    public func resolve(flag: String?, environment: [String: String], service: ServiceName) -> String? {
        if let flag { return flag }
        if let value = environment[environmentName], !value.isEmpty { return value }
        return defaultValue(for: service)
    }
}
