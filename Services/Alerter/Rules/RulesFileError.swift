/// Why a rules file was refused, and where: printed as `FILE:LINE:COLUMN: reason`.
struct RulesFileError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Code: String, Sendable {
        case unreadable, syntax, unknownKey = "unknown_key", unknownTopic = "unknown_topic"
        case badDuration = "bad_duration", wrongType = "wrong_type", duplicateRule = "duplicate_rule"
        case missingField = "missing_field", invalidValue = "invalid_value"
    }

    var code: Code
    var file: String
    /// 1-based, as editors count.
    var line: Int
    var column: Int
    var reason: String

    var description: String { "\(file):\(line):\(column): \(reason)" }
}
