import Foundation
import Hummingbird
import KakusaEvents
import KakusaKafka
import KakusaService
import Logging
import Metrics

/// The HTTP ingest API: `POST /v1/funding-rounds`, `/v1/paper-counts`, `/v1/stock-moves` with one JSON object,
/// a JSON array or NDJSON. All or nothing: `202 {"ids":[…]}` once Kafka acknowledged every record,
/// `400 {"errors":[…]}` listing every field error (nothing published), `503` when Kafka is unreachable.
struct IngestAPI: Sendable {
    struct Accepted: ResponseEncodable {
        var ids: [String]
    }

    struct FieldError: ResponseEncodable, Equatable {
        var index: Int
        var field: String
        var code: String
        var reason: String
    }

    struct Rejected: ResponseEncodable {
        var errors: [FieldError]
    }

    struct Unavailable: ResponseEncodable {
        var error: String
    }

    let producer: KafkaProducer
    let readiness: Readiness
    let topics: Topics
    let maxBodyBytes: Int
    let logger: Logger

    func register(on router: Router<BasicRequestContext>) {
        for kind in InputKind.allCases {
            router.post("/v1/\(kind.rawValue)") { request, context in
                try await handle(request, context: context, kind: kind)
            }
        }
    }

    func handle(_ request: Request, context: BasicRequestContext, kind: InputKind) async throws -> Response {
        let topic = topics.name(kind.topicKind)
        let buffer = try await request.body.collect(upTo: maxBodyBytes)
        let body = Array(buffer.readableBytesView)
        let (messages, ids, errors) = parse(body, kind: kind)
        if !errors.isEmpty || messages.isEmpty {
            let all = errors.isEmpty
                ? [FieldError(index: 0, field: "", code: "empty", reason: "the body holds no record")] : errors
            Counter(label: "kakusa_ingester_records_rejected_total", dimensions: [("topic", topic)])
                .increment(by: max(1, Set(all.map(\.index)).count))
            return try encode(Rejected(errors: all), status: .badRequest, request: request, context: context)
        }
        guard readiness.check(KafkaProbe.checkName)?.ready == true else {
            return try encode(
                Unavailable(error: "Kafka is unreachable: \(readiness.check(KafkaProbe.checkName)?.reason ?? "")"),
                status: .serviceUnavailable, request: request, context: context)
        }
        let started = ContinuousClock.now
        do {
            for wave in Self.waves(messages) {
                try await producer.send(batch: wave).throwIfFailed()
            }
        } catch {
            logger.warning(
                "publish failed", metadata: [LogKey.topic: "\(topic)", LogKey.error: "\(error)"])
            return try encode(
                Unavailable(error: "Kafka did not acknowledge the records: \(error)"), status: .serviceUnavailable,
                request: request, context: context)
        }
        Timer(label: "kakusa_ingester_publish_duration_seconds", dimensions: [("topic", topic)])
            .recordNanoseconds(Self.nanoseconds(ContinuousClock.now - started))
        Counter(label: "kakusa_ingester_records_published_total", dimensions: [("topic", topic)])
            .increment(by: messages.count)
        logger.debug("published", metadata: [LogKey.topic: "\(topic)", LogKey.count: "\(messages.count)"])
        return try encode(Accepted(ids: ids), status: .accepted, request: request, context: context)
    }

    /// The messages and ids of the body's records, or every field error.
    func parse(_ body: [UInt8], kind: InputKind) -> ([ProducerMessage], [String], [FieldError]) {
        let reader = JSONValueReader(source: ByteSource(bytes: body), file: "request", maxValueBytes: body.count + 1)
        let factory = MessageFactory(
            topics: topics, kind: kind, source: CloudEventHeaders.serviceSource("ingester"), sourceFile: nil)
        let processor = RecordProcessor(kind: kind)
        let time = MessageFactory.time(Date())
        var messages: [ProducerMessage] = []
        var ids: [String] = []
        var errors: [FieldError] = []
        var index = 0
        while let records = try? reader.nextBatch() {
            for record in records {
                defer { index += 1 }
                switch processor.process(record.json) {
                case .valid(let key, let value, let id):
                    messages.append(factory.record(key: key, value: value, id: id, time: time))
                    ids.append(id)
                case .invalid(let issues, _):
                    errors += issues.map {
                        FieldError(index: index, field: $0.field, code: $0.code, reason: $0.reason)
                    }
                }
            }
        }
        return (messages, ids, errors)
    }

    /// The messages in waves in which no key appears twice, each key's records in their order: a wave is sent only
    /// once the one before it is acknowledged. A request that fails half-way is answered 503 and re-sent whole by the
    /// client; without waves, a company's later round could then be on the topic before its earlier one (which the
    /// aggregator would file as late). Found by scripts/faults (produce errors); one wave for distinct keys.
    static func waves(_ messages: [ProducerMessage]) -> [[ProducerMessage]] {
        var waves: [[ProducerMessage]] = []
        var seen: [[UInt8]: Int] = [:]
        for message in messages {
            let key = message.key ?? []
            let depth = seen[key, default: 0]
            seen[key] = depth + 1
            if depth == waves.count { waves.append([]) }
            waves[depth].append(message)
        }
        return waves
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }

    private func encode(
        _ value: some ResponseEncodable, status: HTTPResponse.Status, request: Request, context: BasicRequestContext
    ) throws -> Response {
        try EditedResponse(status: status, response: value).response(from: request, context: context)
    }
}
