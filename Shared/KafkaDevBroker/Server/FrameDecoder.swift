import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Splits the byte stream into requests: a 4-byte big-endian size, then that many bytes. A size below the
/// smallest header or over `socket.request.max.bytes` closes the connection, as Kafka does.
struct FrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    static let maxRequestSize = 104_857_600

    struct InvalidFrame: Error, CustomStringConvertible {
        let size: Int32
        var description: String { "invalid request size \(size)" }
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return .needMoreData }
        guard size >= 8, Int(size) <= Self.maxRequestSize else { throw InvalidFrame(size: size) }
        guard buffer.readableBytes >= 4 + Int(size) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        context.fireChannelRead(Self.wrapInboundOut(buffer.readSlice(length: Int(size))!))
        return .continue
    }
}
