import Logging
import NIOConcurrencyHelpers
import NIOCore

/// SaslHandshake and SaslAuthenticate (PLAIN and SCRAM-SHA-256), on when users are configured.
enum SaslApis {
    static func handle(_ c: RequestContext, _ r: inout KafkaReader) async throws -> ByteBuffer? {
        throw MalformedRequest(reason: "\(c.api.name) is not served yet")
    }
}

/// Whether a request must be refused because SASL is on and the connection has not authenticated.
enum SaslGate {
    static func refuses(_ c: RequestContext) async throws -> Bool { false }
}
