import Logging
import NIOConcurrencyHelpers
import NIOCore

/// What a request handler knows: the cluster, which broker received it, the header and the connection.
struct RequestContext: Sendable {
    let cluster: Cluster
    let brokerID: Int32
    let header: RequestHeader
    let api: ApiKey
    let connection: ConnectionState
    let eventLoop: any EventLoop
    /// An error the fault controls queued for this request: the handler answers it wherever the response has an
    /// error code, as librdkafka's mock cluster does with pushed request errors.
    let injectedError: Int16?

    var version: Int16 { header.apiVersion }
    /// The injected error, or `code`.
    func error(_ code: ErrorCode) -> Int16 { injectedError ?? code.rawValue }
    var flexible: Bool { api.isFlexible(header.apiVersion) }
    /// The throttle time field every response of these versions carries first or last.
    static let noThrottle: Int32 = 0
}

/// Per-connection state: the client's address and, with SASL on, how far authentication has come.
final class ConnectionState: @unchecked Sendable {
    enum Authentication { case none, handshaken(mechanism: String), inProgress(mechanism: String), done(user: String) }
    let remote: String
    var authentication: Authentication = .none
    /// The SCRAM exchange in progress, opaque to the connection.
    var saslExchange: AnyObject?
    /// Set by a failed authentication: Kafka closes the connection once the error is sent.
    var closeAfterResponse = false

    init(remote: String) { self.remote = remote }
}
