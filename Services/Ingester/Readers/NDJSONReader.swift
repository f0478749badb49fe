import KakusaEvents

/// One JSON object a line (`.ndjson`, `.jsonl`, stdin).
final class NDJSONReader: RecordReader {
    private let lines: LineReader
    var source: ByteSource { lines.source }

    init(source: ByteSource, file: String) {
        lines = LineReader(source: source, file: file)
    }

    func nextBatch() throws(ReaderError) -> [RawRecord]? {
        guard let (bytes, lines) = try lines.next() else { return nil }
        var records: [RawRecord] = []
        records.reserveCapacity(lines.count)
        for line in lines {
            let slice = bytes[line.range]
            if !line.truncated && isBlank(slice) { continue }
            records.append(
                line.truncated
                    ? .tooLong(line: line.number, bytes: slice, limit: self.lines.maxLineBytes)
                    : RawRecord(line: line.number, json: slice, original: slice, issue: nil))
        }
        return records
    }
}
