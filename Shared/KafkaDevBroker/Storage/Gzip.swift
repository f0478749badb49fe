import CZlib
import NIOCore

/// Gzip (RFC 1952, Kafka's compression type 1) through zlib: the compactor inflates a batch's records to filter
/// them and deflates the survivors again, so a cleaned batch keeps its producer's codec.
enum Gzip {
    struct Failure: Error, CustomStringConvertible {
        let code: Int32
        let step: String
        var description: String { "zlib \(step) failed (\(code))" }
    }

    /// The inflated bytes of `input` (gzip or zlib framing, detected by zlib).
    static func decompress(_ input: ByteBuffer) throws(Failure) -> ByteBuffer {
        var stream = z_stream()
        // 15 + 32: the largest window, and automatic detection of the gzip or zlib header.
        var status = inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw Failure(code: status, step: "inflateInit2") }
        defer { inflateEnd(&stream) }
        var output = ByteBufferAllocator().buffer(capacity: max(input.readableBytes * 4, 256))
        var source = Array(input.readableBytesView)
        let total = source.count
        status = source.withUnsafeMutableBufferPointer { src -> Int32 in
            stream.next_in = src.baseAddress
            stream.avail_in = UInt32(total)
            var result: Int32 = Z_OK
            while result == Z_OK {
                let written = output.writeWithUnsafeMutableBytes(minimumWritableBytes: 4096) { out -> Int in
                    stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_out = UInt32(out.count)
                    result = inflate(&stream, Z_NO_FLUSH)
                    return out.count - Int(stream.avail_out)
                }
                if result == Z_BUF_ERROR && written > 0 { result = Z_OK }
                if result == Z_OK && stream.avail_in == 0 && written == 0 { break }
            }
            return result
        }
        guard status == Z_STREAM_END else { throw Failure(code: status, step: "inflate") }
        return output
    }

    /// `input` deflated in the gzip format, at zlib's default level.
    static func compress(_ input: ByteBuffer) throws(Failure) -> ByteBuffer {
        var stream = z_stream()
        // 15 + 16: the largest window, with a gzip header and trailer instead of zlib's.
        var status = deflateInit2_(
            &stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
            Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw Failure(code: status, step: "deflateInit2") }
        defer { deflateEnd(&stream) }
        var source = Array(input.readableBytesView)
        let total = source.count
        let bound = Int(deflateBound(&stream, UInt(total)))
        var output = ByteBufferAllocator().buffer(capacity: bound + 64)
        status = source.withUnsafeMutableBufferPointer { src -> Int32 in
            stream.next_in = src.baseAddress
            stream.avail_in = UInt32(total)
            var result: Int32 = Z_OK
            while result == Z_OK {
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: 4096) { out -> Int in
                    stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_out = UInt32(out.count)
                    result = deflate(&stream, Z_FINISH)
                    return out.count - Int(stream.avail_out)
                }
                if result == Z_BUF_ERROR { result = Z_OK }
            }
            return result
        }
        guard status == Z_STREAM_END else { throw Failure(code: status, step: "deflate") }
        return output
    }
}
