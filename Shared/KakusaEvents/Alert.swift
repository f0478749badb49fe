/// A rule fired on a record (on `alerts`, keyed `<rule>:<subject>`): enough to act on without a lookup.
public struct Alert: Codable, Sendable, Equatable, Hashable {
    /// How urgent; ordered `info < warning < critical`.
    public enum Severity: String, Codable, Sendable, Hashable, CaseIterable, Comparable {
        case info
        case warning
        case critical

        public static func < (lhs: Severity, rhs: Severity) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// `AlertID.make(rule:subject:recordID:)`.
    public var id: String
    /// The rule's name.
    public var rule: String
    public var severity: Severity
    /// What the alert is about: the record's key (company slug, symbol, `US-2024`).
    public var subject: String
    /// One line for a person: `Moonshot AI valuation up 230% to USD 3.3B (was USD 1.0B)`.
    public var message: String
    /// When it fired, RFC 3339.
    public var at: String
    /// The topic the firing record was read from, as named on the broker (`kakusa.valuation-changes`).
    public var topic: String
    /// The firing record as it was.
    public var record: JSONValue
    /// The firing record's id.
    public var recordID: String

    public init(
        id: String, rule: String, severity: Severity, subject: String, message: String, at: String, topic: String,
        record: JSONValue, recordID: String
    ) {
        self.id = id
        self.rule = rule
        self.severity = severity
        self.subject = subject
        self.message = message
        self.at = at
        self.topic = topic
        self.record = record
        self.recordID = recordID
    }

    /// The same, with `id` from `AlertID.make(rule:subject:recordID:)`.
    public init(
        rule: String, severity: Severity, subject: String, message: String, at: String, topic: String,
        record: JSONValue, recordID: String
    ) {
        self.init(
            id: AlertID.make(rule: rule, subject: subject, recordID: recordID), rule: rule, severity: severity,
            subject: subject, message: message, at: at, topic: topic, record: record, recordID: recordID)
    }

    enum CodingKeys: String, CodingKey {
        case id, rule, severity, subject, message, at, topic, record
        case recordID = "record_id"
    }
}

extension Alert: KakusaRecord {
    public static var topicKind: TopicKind { .alerts }
    /// `<rule>:<subject>`.
    public var key: String { "\(rule):\(subject)" }
    public var eventID: String { id }

    public func validate() -> [ValidationIssue] {
        var checks = Checks()
        checks.name("id", id)
        checks.name("rule", rule)
        checks.name("subject", subject)
        checks.name("message", message)
        checks.dateTime("at", at)
        checks.name("topic", topic)
        checks.name("record_id", recordID)
        return checks.issues
    }
}
