import Foundation

/// CloudEvents 1.0 attributes in Kafka binary mode: the value is the JSON record, the attributes travel as
/// `ce_*` headers, so any CloudEvents consumer knows what a message is without parsing it.
public struct CloudEventHeaders: Sendable, Equatable, Hashable {
    public static let specVersion = "1.0"
    public static let contentType = "application/json"

    /// `ce_id`: the record's id (`KakusaRecord.eventID`), so a replayed record has the same id.
    public var id: String
    /// `ce_source`: who produced it, e.g. `/kakusa/ingester` or the input file's URI.
    public var source: String
    /// `ce_type`: e.g. `dev.kakusa.funding-round.v1` (see `TopicKind.eventType`).
    public var type: String
    /// `ce_time`: RFC 3339 UTC.
    public var time: String

    public init(id: String, source: String, type: String, time: String) {
        self.id = id
        self.source = source
        self.type = type
        self.time = time
    }

    /// The attributes of `record`, produced by `source` at `time`.
    public init<Record: KakusaRecord>(for record: Record, source: String, time: Date = Date()) {
        self.init(id: record.eventID, source: source, type: Record.eventType, time: RFC3339.string(from: time))
    }

    /// The source of a service's own records: `/kakusa/<service>`.
    public static func serviceSource(_ service: String) -> String { "/kakusa/\(service)" }

    /// The Kafka headers, in a fixed order: `ce_specversion`, `ce_id`, `ce_source`, `ce_type`, `ce_time`,
    /// `content-type`.
    public var headers: [(key: String, value: String)] {
        [
            ("ce_specversion", Self.specVersion),
            ("ce_id", id),
            ("ce_source", source),
            ("ce_type", type),
            ("ce_time", time),
            ("content-type", Self.contentType),
        ]
    }

    /// Reads the attributes back from Kafka headers; nil unless `ce_specversion` is 1.0 and `ce_id`, `ce_source`
    /// and `ce_type` are present (`ce_time` is optional in CloudEvents and read as empty when absent).
    public init?(headers: [(key: String, value: String)]) {
        func value(_ key: String) -> String? { headers.last(where: { $0.key == key })?.value }
        guard value("ce_specversion") == Self.specVersion, let id = value("ce_id"), let source = value("ce_source"),
            let type = value("ce_type")
        else { return nil }
        self.init(id: id, source: source, type: type, time: value("ce_time") ?? "")
    }
}
