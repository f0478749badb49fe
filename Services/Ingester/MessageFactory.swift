import Foundation
import KakusaEvents
import KakusaKafka

/// Builds the Kafka messages of the ingester: records with CloudEvents headers, rejects as dead letters.
struct MessageFactory: Sendable {
    static let service = "ingester"

    let topics: Topics
    let kind: InputKind
    let source: String
    let sourceFile: String?
    private let topic: String
    private let constantHeaders: (specVersion: KafkaHeader, source: KafkaHeader, type: KafkaHeader,
                                  contentType: KafkaHeader)

    /// - Parameters:
    ///   - source: `ce_source` of the published records.
    ///   - sourceFile: the file named in dead letters, nil for HTTP.
    init(topics: Topics, kind: InputKind, source: String, sourceFile: String?) {
        self.topics = topics
        self.kind = kind
        self.source = source
        self.sourceFile = sourceFile
        self.topic = topics.name(kind.topicKind)
        constantHeaders = (
            KafkaHeader(key: "ce_specversion", value: CloudEventHeaders.specVersion),
            KafkaHeader(key: "ce_source", value: source),
            KafkaHeader(key: "ce_type", value: kind.topicKind.eventType),
            KafkaHeader(key: "content-type", value: CloudEventHeaders.contentType)
        )
    }

    var recordTopic: String { topic }

    /// A valid record; `time` is `ce_time`, computed once a batch (it is the time of ingestion).
    func record(key: String, value: [UInt8], id: String, time: KafkaHeader) -> ProducerMessage {
        ProducerMessage(
            topic: topic, key: Array(key.utf8), value: value,
            headers: [
                constantHeaders.specVersion, KafkaHeader(key: "ce_id", value: id), constantHeaders.source,
                constantHeaders.type, time, constantHeaders.contentType,
            ])
    }

    /// Appends a valid record to a batch, with the same headers as `record(key:value:id:time:)`.
    func appendRecord(to batch: inout ProducerBatch, key: String, value: [UInt8], id: String, time: KafkaHeader) {
        batch.append(topic: topic, key: key.utf8, value: value)
        batch.addHeader(key: constantHeaders.specVersion.key, value: constantHeaders.specVersion.value)
        batch.addHeader(key: "ce_id", value: id.utf8)
        batch.addHeader(key: constantHeaders.source.key, value: constantHeaders.source.value)
        batch.addHeader(key: constantHeaders.type.key, value: constantHeaders.type.value)
        batch.addHeader(key: time.key, value: time.value)
        batch.addHeader(key: constantHeaders.contentType.key, value: constantHeaders.contentType.value)
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

    static func timeHeader(_ date: Date) -> KafkaHeader {
        KafkaHeader(key: "ce_time", value: RFC3339.string(from: date))
    }
}
