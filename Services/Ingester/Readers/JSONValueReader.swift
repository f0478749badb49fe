import KakusaEvents

/// A JSON array of records (`.json`), or JSON values one after another (a single object, NDJSON, pretty-printed
/// objects), streamed: each element is cut out as it is read, so memory holds one chunk and one element.
final class JSONValueReader: RecordReader {
    private enum Mode { case start, array, sequence, afterArray }

    let source: ByteSource
    private let file: String
    private let maxValueBytes: Int
    private var mode = Mode.start
    private var line = 1
    private var atStart = true
    private var inElement = false
    private var inString = false
    private var escape = false
    private var depth = 0
    private var current: [UInt8] = []
    private var truncated = false
    private var elementLine = 1

    init(source: ByteSource, file: String, maxValueBytes: Int = ByteSource.chunkSize) {
        self.source = source
        self.file = file
        self.maxValueBytes = maxValueBytes
    }

    func nextBatch() throws(ReaderError) -> [RawRecord]? {
        var chunk = try source.read(file: file)
        var records: [RawRecord] = []
        if chunk.isEmpty {
            guard inElement else { return nil }
            finishElement(into: &records)
            return records
        }
        if atStart {
            atStart = false
            if chunk.starts(with: [0xEF, 0xBB, 0xBF]) { chunk.removeFirst(3) }
        }
        for byte in chunk { feed(byte, into: &records) }
        return records
    }

    private func feed(_ byte: UInt8, into records: inout [RawRecord]) {
        let isSpace = byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
        defer { if byte == 0x0A { line += 1 } }
        if !inElement {
            if isSpace { return }
            switch mode {
            case .start:
                if byte == UInt8(ascii: "[") {
                    mode = .array
                    return
                }
                mode = .sequence
            case .array:
                if byte == UInt8(ascii: ",") { return }
                if byte == UInt8(ascii: "]") {
                    mode = .afterArray
                    return
                }
            case .sequence, .afterArray:
                break
            }
            inElement = true
            elementLine = line
            current.removeAll(keepingCapacity: true)
            truncated = false
            depth = 0
        }
        if inString {
            append(byte)
            if escape {
                escape = false
            } else if byte == 0x5C {
                escape = true
            } else if byte == 0x22 {
                inString = false
                if depth == 0 { finishElement(into: &records) }
            }
            return
        }
        switch byte {
        case 0x22:
            inString = true
            append(byte)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            depth += 1
            append(byte)
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            depth -= 1
            if depth < 0 {
                // A scalar element closed by the array's own bracket.
                finishElement(into: &records)
                mode = .afterArray
                return
            }
            append(byte)
            if depth == 0 { finishElement(into: &records) }
        case UInt8(ascii: ","):
            if depth == 0 { finishElement(into: &records) } else { append(byte) }
        default:
            if isSpace && depth == 0 { finishElement(into: &records) } else { append(byte) }
        }
    }

    private func append(_ byte: UInt8) {
        if current.count < maxValueBytes { current.append(byte) } else { truncated = true }
    }

    private func finishElement(into records: inout [RawRecord]) {
        inElement = false
        inString = false
        escape = false
        depth = 0
        let bytes = current[...]
        records.append(
            truncated
                ? .tooLong(line: elementLine, bytes: bytes, limit: maxValueBytes)
                : RawRecord(line: elementLine, json: bytes, original: bytes, issue: nil))
        current = []
    }
}
