import CLibCrypto
import Foundation

/// The server side of SCRAM-SHA-256 (RFC 5802, RFC 7677), as Kafka's ScramSaslServer runs it: client-first,
/// server-first with a salt and 4096 iterations, client-final with the proof, server-final with the signature.
final class ScramSHA256: @unchecked Sendable {
    static let iterations = 4096
    private let users: [String: String]
    private var state: State = .start

    private enum State {
        case start
        case sentFirst(user: String, nonce: String, clientFirstBare: String, serverFirst: String, salted: [UInt8])
        case done
    }

    struct Failure: Error {
        let reason: String
    }

    init(users: [String: String]) { self.users = users }

    private(set) var authenticatedUser: String?

    /// Answers one client message; throws `Failure` when the exchange must end with SASL_AUTHENTICATION_FAILED.
    func respond(to message: [UInt8]) throws(Failure) -> [UInt8] {
        // librdkafka 2.0.2 ends its messages with a NUL byte, which is no part of the SCRAM text.
        var bytes = message[...]
        while bytes.last == 0 { bytes = bytes.dropLast() }
        let text = String(decoding: bytes, as: UTF8.self)
        switch state {
        case .start:
            // gs2-header "n,," (or "n,a=authzid,"), then n=user,r=nonce.
            let parts = text.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0] == "n" || parts[0] == "y" else {
                throw Failure(reason: "invalid client-first message")
            }
            let bare = String(parts[2])
            let fields = Self.fields(bare)
            guard let rawUser = fields["n"], let clientNonce = fields["r"], !clientNonce.isEmpty else {
                throw Failure(reason: "client-first message without user or nonce")
            }
            let user = rawUser.replacingOccurrences(of: "=2C", with: ",").replacingOccurrences(of: "=3D", with: "=")
            // An unknown user still gets a salt, so that the answer does not tell which users exist.
            let password = users[user]
            let salt = Self.salt(for: user)
            let nonce = clientNonce + UUID().uuidString.replacingOccurrences(of: "-", with: "")
            let serverFirst = "r=\(nonce),s=\(Data(salt).base64EncodedString()),i=\(Self.iterations)"
            let salted = Self.pbkdf2(password: password ?? UUID().uuidString, salt: salt)
            state = .sentFirst(
                user: password == nil ? "" : user, nonce: nonce, clientFirstBare: bare, serverFirst: serverFirst,
                salted: salted)
            return Array(serverFirst.utf8)
        case let .sentFirst(user, nonce, clientFirstBare, serverFirst, salted):
            state = .done
            guard let proofRange = text.range(of: ",p=") else { throw Failure(reason: "client-final without proof") }
            let withoutProof = String(text[..<proofRange.lowerBound])
            let fields = Self.fields(text)
            // Kafka's ScramSaslServer accepts a final nonce that ends with the server's, as librdkafka sends
            // its own nonce again in front of the server's (which already starts with it).
            guard let echoed = fields["r"], echoed.hasSuffix(nonce), let proofText = fields["p"], let proof = Data(base64Encoded: proofText),
                proof.count == 32
            else {
                throw Failure(reason: "client-final message does not match the exchange")
            }
            let authMessage = Array("\(clientFirstBare),\(serverFirst),\(withoutProof)".utf8)
            let clientKey = Self.hmac(key: salted, Array("Client Key".utf8))
            let storedKey = Self.sha256(clientKey)
            let signature = Self.hmac(key: storedKey, authMessage)
            let recovered = zip(Array(proof), signature).map { $0 ^ $1 }
            guard !user.isEmpty, Self.constantTimeEqual(Self.sha256(recovered), storedKey) else {
                throw Failure(reason: "invalid credentials")
            }
            let serverKey = Self.hmac(key: salted, Array("Server Key".utf8))
            authenticatedUser = user
            return Array("v=\(Data(Self.hmac(key: serverKey, authMessage)).base64EncodedString())".utf8)
        case .done:
            throw Failure(reason: "message after the exchange ended")
        }
    }

    private static func fields(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for part in text.split(separator: ",") {
            guard let eq = part.firstIndex(of: "="), eq != part.startIndex else { continue }
            out[String(part[..<eq])] = String(part[part.index(after: eq)...])
        }
        return out
    }

    /// A salt that is stable per user within a run, so a client's retries see the same one.
    private static func salt(for user: String) -> [UInt8] {
        Array(sha256(Array(("kakusa-devbroker-salt:" + user).utf8)).prefix(16))
    }

    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var ctx = SHA256_CTX()
        SHA256_Init(&ctx)
        SHA256_Update(&ctx, bytes, bytes.count)
        SHA256_Final(&out, &ctx)
        return out
    }

    static func hmac(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        _ = HMAC(EVP_sha256(), key, Int32(key.count), data, data.count, &out, &length)
        return out
    }

    static func pbkdf2(password: String, salt: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let pw = Array(password.utf8)
        _ = pw.withUnsafeBufferPointer { p in
            p.withMemoryRebound(to: CChar.self) { c in
                PKCS5_PBKDF2_HMAC(c.baseAddress, Int32(pw.count), salt, Int32(salt.count), Int32(iterations), EVP_sha256(), 32, &out)
            }
        }
        return out
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}
