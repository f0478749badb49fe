import KakusaEvents

/// One record as read from an input, before it is decoded.
struct RawRecord {
    /// 1-based line where the record starts.
    var line: Int
    /// The JSON to decode (for CSV, the row rewritten as a JSON object).
    var json: ArraySlice<UInt8>
    /// The bytes as they were in the input: what a dead letter carries.
    var original: ArraySlice<UInt8>
    /// Set when the reader already knows the record is bad (too long, wrong column count).
    var issue: ValidationIssue?
}

/// Yields an input's records in batches, reading it in bounded chunks.
protocol RecordReader: AnyObject {
    /// The next records, empty batches allowed; nil at the end.
    func nextBatch() throws(ReaderError) -> [RawRecord]?
    var source: ByteSource { get }
}

extension RawRecord {
    /// How much of an over-long line a dead letter carries: well under Kafka's default 1 MB message limit.
    static let tooLongPreviewBytes = 64 * 1024

    /// A line or value longer than `limit`: rejected, with its first bytes as the dead letter.
    static func tooLong(line: Int, bytes: ArraySlice<UInt8>, limit: Int) -> RawRecord {
        let preview = bytes.prefix(tooLongPreviewBytes)
        let issue = ValidationIssue(
            field: "", code: "line_too_long",
            reason: "is longer than \(limit) bytes; the dead letter carries its first \(preview.count) bytes")
        return RawRecord(line: line, json: preview, original: preview, issue: issue)
    }
}
