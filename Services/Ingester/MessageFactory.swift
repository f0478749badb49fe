import Foundation
import KakusaEvents
import KakusaKafka
import KakusaService

/// Builds the Kafka messages of the ingester: records with CloudEvents headers, rejects as dead letters.
struct MessageFactory: Sendable {
    static let service = "ingester"

    let topics: Topics
    let kind: InputKind
    let source: String
    let sourceFile: String?
    private let topic: String

    /// - Parameters:
    ///   - source: `ce_source` of the published records.
    ///   - sourceFile: the file named in dead letters, nil for HTTP.
    init(topics: Topics, kind: InputKind, source: String, sourceFile: String?) {
        self.topics = topics
        self.kind = kind
        self.source = source
        self.sourceFile = sourceFile
        self.topic = topics.name(kind.topicKind)
    }

    var recordTopic: String { topic }

    /// A valid record; `time` is `ce_time`, taken once a batch (it is the time of ingestion).
    func record(key: String, value: [UInt8], id: String, time: String) -> ProducerMessage {
        let headers = CloudEventHeaders(id: id, source: source, type: kind.topicKind.eventType, time: time).headers
        return ProducerMessage(
            topic: topic, key: Array(key.utf8), value: value,
            headers: headers.map { KafkaHeader(key: $0.key, value: $0.value) })
    }

    /// Appends valid records to `batch` with the headers of `record(key:value:id:time:)`, the constant ones stored
    /// in the batch once: good until the batch is cleared.
    func recordWriter(time: String, in batch: inout ProducerBatch) -> RecordWriter {
        RecordWriter(
            topic: topic,
            headers: CloudEventsHeaderTemplate(
                source: source, type: kind.topicKind.eventType, time: time, in: &batch))
    }

    struct RecordWriter {
        let topic: String
        let headers: CloudEventsHeaderTemplate

        /// Appends a record whose value `writeValue` writes in place; false (nothing appended) when it refuses.
        func append(
            to batch: inout ProducerBatch, key: String, id: String, writeValue: (inout [UInt8]) -> Bool
        ) -> Bool {
            guard batch.append(topic: topic, key: key.utf8, writeValue: writeValue) else { return false }
            headers.add(to: &batch, id: id)
            return true
        }

        /// The same with the key and the id written in place too.
        func append(
            to batch: inout ProducerBatch, writeKey: (inout [UInt8]) -> Void, writeID: (inout [UInt8]) -> Void,
            writeValue: (inout [UInt8]) -> Bool
        ) -> Bool {
            guard batch.append(topic: topic, writeKey: writeKey, writeValue: writeValue) else { return false }
            headers.add(to: &batch, writeID: writeID)
            return true
        }
    }

    /// A rejected record: the original bytes, the original key when known, and why.
    func deadLetter(original: ArraySlice<UInt8>, key: String?, issues: [ValidationIssue], line: Int?, time: Date)
        -> ProducerMessage
    {
        let headers = DeadLetterHeaders(
            issues: issues, service: Self.service, sourceFile: sourceFile, sourceLine: line, originalTopic: topic,
            time: time)
        return ProducerMessage(
            topic: topics.deadLetters, key: key.map { Array($0.utf8) }, value: Array(original),
            headers: headers.headers.map { KafkaHeader(key: $0.key, value: $0.value) })
    }

    /// `ce_time` of the records ingested at `date`.
    static func time(_ date: Date) -> String { RFC3339.string(from: date) }
}
