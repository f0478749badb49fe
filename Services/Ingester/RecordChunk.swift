import KakusaEvents
import KakusaKafka

/// One core's share of a read batch: its valid records appended to a batch of their own (values and headers
/// written in place), its rejected ones kept with their issues for the dead letters, which the caller writes in
/// input order afterwards. Reused from read batch to read batch, so its buffers are allocated once.
struct RecordChunk {
    struct Rejected {
        /// Index in the read batch.
        var index: Int
        var issues: [ValidationIssue]
        var key: String?
    }

    private(set) var batch = ProducerBatch()
    private(set) var rejected: [Rejected] = []
    private var scratch = FundingRoundLine.Scratch()

    /// Processes `records[range]`, read in place: nothing of the read batch is retained, since another core reads
    /// the neighbouring records (shared reference counts would bounce between the cores).
    mutating func process(
        _ records: UnsafeBufferPointer<RawRecord>, _ range: Range<Int>, processor: RecordProcessor,
        factory: MessageFactory, time: String
    ) {
        batch.removeAll(keepingCapacity: true)
        rejected.removeAll(keepingCapacity: true)
        let writer = factory.recordWriter(time: time, in: &batch)
        for index in range {
            if let issue = records[index].issue {
                rejected.append(Rejected(index: index, issues: [issue], key: nil))
                continue
            }
            let appended = records[index].json.withUnsafeBufferPointer { bytes in
                (processor.kind == .fundingRounds
                    && FundingRoundLine.append(bytes, scratch: &scratch, writer: writer, to: &batch))
                    || processor.appendIfFast(bytes, with: writer, to: &batch)
            }
            if appended { continue }
            switch processor.processRefused(records[index].json) {
            case .valid(let key, let value, let id):
                _ = writer.append(to: &batch, key: key, id: id) {
                    $0.append(contentsOf: value)
                    return true
                }
            case .invalid(let issues, let key):
                rejected.append(Rejected(index: index, issues: issues, key: key))
            }
        }
    }
}
