/// Splits a `ByteSource` into lines without ever holding more than a chunk and one capped line:
/// accepts LF and CRLF, strips a UTF-8 BOM at the start, and cuts a line longer than `maxLineBytes`
/// (keeping its first bytes and skipping the rest up to the next newline).
final class LineReader {
    struct Line {
        /// 1-based.
        var number: Int
        /// Range in the chunk the line came with, without the line ending.
        var range: Range<Int>
        var truncated: Bool
    }

    let source: ByteSource
    let file: String
    let maxLineBytes: Int
    private var carry: [UInt8] = []
    private var lineNumber = 0
    private var skipping = false
    private var atStart = true
    private var finished = false

    init(source: ByteSource, file: String, maxLineBytes: Int = ByteSource.chunkSize) {
        self.source = source
        self.file = file
        self.maxLineBytes = maxLineBytes
    }

    /// The next chunk and the complete lines in it; nil at the end.
    func next() throws(ReaderError) -> (bytes: [UInt8], lines: [Line])? {
        while !finished {
            let chunk = try source.read(file: file)
            var buffer: [UInt8]
            if chunk.isEmpty {
                finished = true
                guard !carry.isEmpty, !skipping else { return nil }
                buffer = carry
                carry = []
                lineNumber += 1
                let range = trimmed(0..<buffer.count, in: buffer)
                return (buffer, [cap(Line(number: lineNumber, range: range, truncated: false))])
            }
            if carry.isEmpty {
                buffer = chunk
            } else {
                buffer = carry
                buffer.append(contentsOf: chunk)
                carry = []
            }
            var start = 0
            if atStart {
                atStart = false
                if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
            }
            var lines: [Line] = []
            lines.reserveCapacity(8192)
            buffer.withUnsafeBufferPointer { bytes in
                var index = start
                let count = bytes.count
                if skipping {
                    // The rest of an over-long line: drop it up to its newline.
                    while index < count && bytes[index] != 0x0A { index += 1 }
                    if index == count { start = count; return }
                    skipping = false
                    index += 1
                    start = index
                }
                while index < count {
                    if bytes[index] == 0x0A {
                        lineNumber += 1
                        lines.append(cap(Line(number: lineNumber, range: trimmed(start..<index, in: bytes),
                                              truncated: false)))
                        start = index + 1
                    }
                    index += 1
                }
            }
            if start < buffer.count {
                if buffer.count - start > maxLineBytes {
                    lineNumber += 1
                    lines.append(Line(number: lineNumber, range: start..<start + maxLineBytes, truncated: true))
                    skipping = true
                } else {
                    carry = Array(buffer[start...])
                }
            }
            return (buffer, lines)
        }
        return nil
    }

    private func cap(_ line: Line) -> Line {
        guard line.range.count > maxLineBytes else { return line }
        return Line(number: line.number, range: line.range.lowerBound..<line.range.lowerBound + maxLineBytes,
                    truncated: true)
    }

    private func trimmed(_ range: Range<Int>, in bytes: some RandomAccessCollection<UInt8>) -> Range<Int> {
        if range.count > 0, bytes[bytes.index(bytes.startIndex, offsetBy: range.upperBound - 1)] == 0x0D {
            return range.lowerBound..<range.upperBound - 1
        }
        return range
    }
}

/// True for a line of nothing but spaces and tabs (skipped, not an error).
func isBlank(_ bytes: ArraySlice<UInt8>) -> Bool {
    bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
}
