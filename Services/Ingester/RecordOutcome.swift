import KakusaEvents

/// What the ingester makes of one input record: a message for its topic, or the issues that reject it.
enum RecordOutcome: Sendable {
    /// Key, value (KakusaJSON with `id` filled in) and id of a valid record.
    case valid(key: String, value: [UInt8], id: String)
    /// Every issue found, and the record's key when it could still be derived.
    case invalid(issues: [ValidationIssue], key: String?)
}
