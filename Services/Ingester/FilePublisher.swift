import Foundation
import KakusaEvents
import KakusaKafka
import KakusaService
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
    /// How many chunks a read batch is cut into, processed on as many cores.
    let parallelism: Int
    private var chunks: [RecordChunk] = []

    init(
        producer: KafkaProducer, topics: Topics, diagnostics: Diagnostics, logger: Logger,
        parallelism: Int = ProcessInfo.processInfo.activeProcessorCount
    ) {
        self.producer = producer
        self.topics = topics
        self.diagnostics = diagnostics
        self.logger = logger
        self.parallelism = max(1, parallelism)
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
            let time = MessageFactory.time(now)
            // Parsing, validating, ids and encoding on every core; the records keep their input order.
            let split = ParallelChunks(count: records.count, parallelism: parallelism, minimumChunk: 512)
            while chunks.count < split.count { chunks.append(RecordChunk()) }
            records.withUnsafeBufferPointer { records in
                chunks.withUnsafeMutableBufferPointer { chunks in
                    split.forEach { chunk, range in
                        chunks[chunk].process(records, range, processor: processor, factory: factory, time: time)
                    }
                }
            }
            for chunk in 0..<split.count {
                counts.published += chunks[chunk].batch.count
                try await publisher.add(contentsOf: chunks[chunk].batch)
                for rejected in chunks[chunk].rejected {
                    counts.rejected += 1
                    let record = records[rejected.index]
                    for issue in rejected.issues { diagnostics.line("\(displayName):\(record.line): \(issue)") }
                    try await publisher.add(
                        factory.deadLetter(
                            original: record.original, key: rejected.key, issues: rejected.issues, line: record.line,
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
