import Foundation
import KakusaEvents
import KakusaKafka
import Logging

/// Publishes one input file: reads it in chunks, turns each record into a message for its topic or a dead letter,
/// and returns once the broker acknowledged all of them.
final class FilePublisher {
    struct Counts {
        var published = 0
        var rejected = 0
        var seconds = 0.0
    }

    let producer: KafkaProducer
    let topics: Topics
    let diagnostics: Diagnostics
    let logger: Logger

    init(producer: KafkaProducer, topics: Topics, diagnostics: Diagnostics, logger: Logger) {
        self.producer = producer
        self.topics = topics
        self.diagnostics = diagnostics
        self.logger = logger
    }

    static func reader(for path: String, kind: InputKind) throws(ReaderError) -> any RecordReader {
        let source = try ByteSource(path: path)
        let lower = path.lowercased()
        if lower.hasSuffix(".csv") { return CSVReader(source: source, file: path, kind: kind) }
        if lower.hasSuffix(".json") { return JSONValueReader(source: source, file: path) }
        return NDJSONReader(source: source, file: path)
    }

    static func ceSource(for path: String) -> String {
        path == "-" ? "/kakusa/ingester/stdin" : URL(fileURLWithPath: path).absoluteString
    }

    func publish(path: String, kind: InputKind) async throws -> Counts {
        let started = ContinuousClock.now
        let reader = try Self.reader(for: path, kind: kind)
        let displayName = path == "-" ? "<stdin>" : path
        let factory = MessageFactory(
            topics: topics, kind: kind, source: Self.ceSource(for: path), sourceFile: displayName)
        let processor = RecordProcessor(kind: kind)
        let publisher = BatchPublisher(producer: producer)
        var progress = ProgressBar(
            diagnostics: diagnostics, label: "\(displayName) (\(kind.rawValue))", totalBytes: reader.source.totalBytes)
        var counts = Counts()
        defer { progress.finish() }
        while let records = try reader.nextBatch() {
            let now = Date()
            let timeHeader = MessageFactory.timeHeader(now)
            for record in records {
                let outcome: RecordOutcome =
                    record.issue.map { .invalid(issues: [$0], key: nil) } ?? processor.process(record.json)
                switch outcome {
                case .valid(let key, let value, let id):
                    counts.published += 1
                    try await publisher.add { factory.appendRecord(to: &$0, key: key, value: value, id: id, time: timeHeader) }
                case .invalid(let issues, let key):
                    counts.rejected += 1
                    for issue in issues { diagnostics.line("\(displayName):\(record.line): \(issue)") }
                    try await publisher.add(
                        factory.deadLetter(original: record.original, key: key, issues: issues, line: record.line,
                                           time: now))
                }
            }
            progress.update(records: counts.published + counts.rejected, bytes: reader.source.bytesRead)
        }
        try await publisher.finish()
        counts.seconds = ProgressBar.seconds(ContinuousClock.now - started)
        logger.debug(
            "file published",
            metadata: ["file": "\(displayName)", "published": "\(counts.published)", "rejected": "\(counts.rejected)"])
        return counts
    }
}
