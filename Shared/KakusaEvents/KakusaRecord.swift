/// A value that travels on a Kakusa topic: which topic, under which key and id, with which CloudEvents type.
public protocol KakusaRecord: Codable, Sendable, Equatable, Validatable {
    /// The topic this record type is published on.
    static var topicKind: TopicKind { get }
    /// The Kafka message key (the natural key of the contract).
    var key: String { get }
    /// The id that names this fact: its `ce_id`, and what de-duplication compares.
    var eventID: String { get }
}

extension KakusaRecord {
    /// The CloudEvents `ce_type`, e.g. `dev.kakusa.funding-round.v1`.
    public static var eventType: String { topicKind.eventType }
}
