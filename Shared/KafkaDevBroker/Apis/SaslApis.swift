import Logging
import NIOCore

/// SaslHandshake v0-1 and SaslAuthenticate v0-1 with PLAIN and SCRAM-SHA-256, on when users are configured.
enum SaslApis {
    static let mechanisms = ["PLAIN", "SCRAM-SHA-256"]

    static func handle(_ c: RequestContext, _ r: inout KafkaReader) async throws -> ByteBuffer? {
        switch c.api {
        case .saslHandshake: try handshake(c, &r)
        default: try authenticate(c, &r)
        }
    }

    private static func handshake(_ c: RequestContext, _ r: inout KafkaReader) throws -> ByteBuffer? {
        let mechanism = try r.string()
        var out = ByteBuffer()
        let connection = c.connection
        var code = ErrorCode.none
        if c.cluster.saslUsers == nil {
            code = .illegalSaslState
        } else if case .done = connection.authentication {
            code = .illegalSaslState
        } else if !mechanisms.contains(mechanism) {
            code = .unsupportedSaslMechanism
        } else if c.version == 0 {
            // v0 sends the SASL tokens unframed after the handshake; every client Kakusa serves uses v1.
            code = .unsupportedVersion
        } else {
            connection.authentication = .handshaken(mechanism: mechanism)
            if mechanism == "SCRAM-SHA-256" { connection.saslExchange = ScramSHA256(users: c.cluster.saslUsers ?? [:]) }
        }
        out.writeInteger(c.error(code))
        out.writeKafkaArray(mechanisms) { $0.writeKafkaString($1) }
        return out
    }

    private static func authenticate(_ c: RequestContext, _ r: inout KafkaReader) throws -> ByteBuffer? {
        let token = try r.bytes()
        let connection = c.connection
        var code = ErrorCode.none
        var message: String?
        var reply: [UInt8] = []
        let bytes = Array(token.readableBytesView)
        switch connection.authentication {
        case .handshaken(let mechanism) where mechanism == "PLAIN":
            // authzid NUL user NUL password
            let parts = bytes.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
            let user = parts.count == 3 ? String(decoding: parts[1], as: UTF8.self) : ""
            let password = parts.count == 3 ? String(decoding: parts[2], as: UTF8.self) : ""
            if let expected = c.cluster.saslUsers?[user], ScramSHA256.constantTimeEqual(Array(expected.utf8), Array(password.utf8)) {
                connection.authentication = .done(user: user)
            } else {
                code = .saslAuthenticationFailed
                message = "Authentication failed: Invalid username or password"
                c.cluster.logger.notice("SASL authentication failed", metadata: ["mechanism": "PLAIN", "user": "\(user)"])
            }
        case .handshaken(let mechanism), .inProgress(let mechanism):
            guard let scram = connection.saslExchange as? ScramSHA256 else { code = .illegalSaslState; break }
            do {
                reply = try scram.respond(to: bytes)
                if let user = scram.authenticatedUser {
                    connection.authentication = .done(user: user)
                } else {
                    connection.authentication = .inProgress(mechanism: mechanism)
                }
            } catch {
                code = .saslAuthenticationFailed
                message = "Authentication failed during authentication due to invalid credentials with SASL mechanism \(mechanism)"
                c.cluster.logger.notice(
                    "SASL authentication failed", metadata: ["mechanism": "\(mechanism)", "reason": "\(error.reason)"])
            }
        case .none, .done:
            code = .illegalSaslState
            message = "SaslAuthenticate without a SaslHandshake"
        }
        if code != .none { connection.closeAfterResponse = true }
        var out = ByteBuffer()
        out.writeInteger(c.error(code))
        out.writeKafkaString(message)
        out.writeKafkaBytes(ByteBuffer(bytes: reply))
        if c.version >= 1 { out.writeInteger(Int64(0)) }
        return out
    }
}

/// Whether a request must be refused because SASL is on and the connection has not authenticated: Kafka's SASL
/// listeners take only ApiVersions, SaslHandshake and SaslAuthenticate before, and close the connection otherwise.
enum SaslGate {
    static func refuses(_ c: RequestContext) async throws -> Bool {
        guard c.cluster.saslUsers != nil else { return false }
        switch c.api {
        case .apiVersions, .saslHandshake, .saslAuthenticate: return false
        default:
            if case .done = c.connection.authentication { return false }
            return true
        }
    }
}
