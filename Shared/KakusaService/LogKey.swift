/// Logging metadata keys used across Kakusa, in one place so that logs can be searched by a stable name.
///
/// Use them as `logger.info("http server listening", metadata: [LogKey.port: "\(port)"])`.
public enum LogKey {
    /// The service name (`ingester`, `aggregator`, `alerter`).
    public static let service = "service"
    /// The Kakusa version of the running binary.
    public static let version = "version"
    /// The host an HTTP server is bound to.
    public static let host = "host"
    /// The TCP port an HTTP server is bound to; tests parse it from `http server listening port=NNNN`.
    public static let port = "port"
    /// The Kafka bootstrap servers.
    public static let brokers = "brokers"
    /// The prefix of every Kakusa topic name.
    public static let topicPrefix = "topic_prefix"
    /// A Kafka topic name.
    public static let topic = "topic"
    /// A Kafka partition number.
    public static let partition = "partition"
    /// A Kafka offset.
    public static let offset = "offset"
    /// A record key.
    public static let key = "key"
    /// A Kafka consumer group.
    public static let group = "group"
    /// A readiness check name (`kafka`, `state`).
    public static let check = "check"
    /// Why something is the way it is: a readiness reason, a rejection reason.
    public static let reason = "reason"
    /// An error's description.
    public static let error = "error"
    /// An error's stable code.
    public static let errorCode = "error_code"
    /// A count of items (records, rows, requests).
    public static let count = "count"
    /// A duration in milliseconds.
    public static let durationMs = "duration_ms"
    /// An alert rule name.
    public static let rule = "rule"
    /// A file path.
    public static let path = "path"
}
