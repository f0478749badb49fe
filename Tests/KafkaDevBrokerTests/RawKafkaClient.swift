import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A Kafka client at the byte level over a blocking socket, for tests that must send exactly the request a
/// conformance case needs (or a broken one) and read the raw answer.
final class RawKafkaClient {
    private var fd: Int32 = -1
    private var correlation: Int32 = 0

    struct Closed: Error {}

    /// Connects to `address` ("127.0.0.1:PORT"); reads give up after `timeout` seconds.
    init(_ address: String, timeout: Int = 10) throws {
        let parts = address.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else { throw Closed() }
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr(String(parts[0]))
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0 else { throw Closed() }  // deinit closes the socket
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Writes raw bytes as they are (a frame, or garbage).
    func sendRaw(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Closed() }
            sent += n
        }
    }

    /// Sends a request with header v1 (or v2 when `flexibleHeader`), body written by `body`.
    func send(api: Int16, version: Int16, flexibleHeader: Bool = false, clientID: String = "raw-test",
              _ body: (inout ByteBuffer) -> Void) throws -> Int32 {
        correlation += 1
        var b = ByteBuffer()
        b.writeInteger(Int32(0))
        b.writeInteger(api)
        b.writeInteger(version)
        b.writeInteger(correlation)
        b.writeInteger(Int16(clientID.utf8.count))
        b.writeString(clientID)
        if flexibleHeader { b.writeInteger(UInt8(0)) }
        body(&b)
        b.setInteger(Int32(b.readableBytes - 4), at: 0)
        try sendRaw(Array(b.readableBytesView))
        return correlation
    }

    /// Reads one response frame and returns its body after the correlation id (and the header's tag byte when
    /// `flexibleHeader`); throws `Closed` when the broker closed the connection or the read timed out.
    func receive(flexibleHeader: Bool = false) throws -> (correlation: Int32, body: ByteBuffer) {
        let sizeBytes = try read(4)
        let size = Int(Int32(bigEndian: sizeBytes.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }))
        var frame = ByteBuffer(bytes: try read(size))
        let correlation: Int32 = frame.readInteger()!
        if flexibleHeader { frame.moveReaderIndex(forwardBy: 1) }
        return (correlation, frame)
    }

    func roundTrip(api: Int16, version: Int16, flexible: Bool = false, _ body: (inout ByteBuffer) -> Void) throws
        -> ByteBuffer
    {
        let id = try send(api: api, version: version, flexibleHeader: flexible, body)
        let response = try receive(flexibleHeader: flexible && api != 18)
        precondition(response.correlation == id, "responses come in order")
        return response.body
    }

    /// Whether the broker closed the connection (a read returns end of stream or fails) within the timeout.
    func isClosedByPeer() -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, 0)
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }

    private func read(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = out[got...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw Closed() }
            got += n
        }
        return out
    }
}
