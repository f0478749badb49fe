import KakusaEvents

/// One alert rule: which topic it watches, which records it considers (`where`), when it fires, how loud, and
/// how long the same rule stays quiet for the same subject (`cooldown`, in the records' own time).
struct Rule: Sendable, Equatable {
    var name: String
    var topic: TopicKind
    /// Dotted path → expected value; every pair must hold (a missing field equals null).
    var filters: [(path: String, value: JSONValue)]
    var condition: Condition
    var severity: Alert.Severity
    /// Seconds of record time; nil fires on every matching record (still once per record id).
    var cooldownSeconds: Int?
    var message: MessageTemplate?

    /// Whether `record` passes `where` and `when`.
    func matches(_ record: JSONValue) -> Bool {
        filters.allSatisfy { Condition.equal(record.value(at: $0.path) ?? .null, $0.value) }
            && condition.matches(record)
    }

    static func == (lhs: Rule, rhs: Rule) -> Bool {
        lhs.name == rhs.name && lhs.topic == rhs.topic && lhs.condition == rhs.condition
            && lhs.severity == rhs.severity && lhs.cooldownSeconds == rhs.cooldownSeconds
            && lhs.message == rhs.message && lhs.filters.map(\.path) == rhs.filters.map(\.path)
            && lhs.filters.map(\.value) == rhs.filters.map(\.value)
    }
}
