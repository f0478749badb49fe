/// The three Kakusa services; the name labels logs and metrics and picks per-service defaults.
public enum ServiceName: String, Sendable, CaseIterable, CustomStringConvertible {
    case ingester
    case aggregator
    case alerter

    /// The HTTP port (health, metrics, the service's API) when neither `--http-port` nor `KAKUSA_HTTP_PORT` is set.
    public var defaultHTTPPort: Int {
        switch self {
        case .ingester: 8081
        case .aggregator: 8082
        case .alerter: 8083
        }
    }

    public var description: String { rawValue }
}
