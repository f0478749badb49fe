import Foundation

/// Where input bytes come from, read in bounded chunks so memory stays flat for any file size.
final class ByteSource {
    /// Read size; also what a line or JSON value may grow to before it is cut off.
    static let chunkSize = 1 << 20

    private enum Storage {
        case descriptor(Int32, closeOnEnd: Bool)
        case memory([UInt8], offset: Int)
    }

    private var storage: Storage
    /// Bytes handed out so far (for progress).
    private(set) var bytesRead = 0
    /// The file's size when known (for progress); nil for stdin and pipes.
    let totalBytes: Int?

    /// Opens `path`, or stdin for `-`.
    init(path: String) throws(ReaderError) {
        if path == "-" {
            storage = .descriptor(0, closeOnEnd: false)
            totalBytes = nil
            return
        }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw ReaderError(code: .cannotOpen, file: path, message: String(cString: strerror(errno)))
        }
        // The size of a regular file; a pipe or FIFO cannot seek and has none.
        let end = lseek(fd, 0, SEEK_END)
        totalBytes = end >= 0 && lseek(fd, 0, SEEK_SET) == 0 ? Int(end) : nil
        storage = .descriptor(fd, closeOnEnd: true)
    }

    init(bytes: [UInt8]) {
        storage = .memory(bytes, offset: 0)
        totalBytes = bytes.count
    }

    deinit {
        if case .descriptor(let fd, true) = storage { close(fd) }
    }

    /// The next chunk, empty at the end.
    func read(file: String) throws(ReaderError) -> [UInt8] {
        switch storage {
        case .memory(let bytes, let offset):
            let end = min(bytes.count, offset + Self.chunkSize)
            storage = .memory(bytes, offset: end)
            bytesRead += end - offset
            return Array(bytes[offset..<end])
        case .descriptor(let fd, _):
            var chunk = [UInt8](repeating: 0, count: Self.chunkSize)
            while true {
                let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n >= 0 else {
                    throw ReaderError(code: .readFailed, file: file, message: String(cString: strerror(errno)))
                }
                chunk.removeSubrange(n...)
                bytesRead += n
                return chunk
            }
        }
    }
}
