/// Why a rules file was refused, and where: printed as `FILE:LINE:COLUMN: reason`.
struct RulesFileError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Code: String, Sendable {
        case unreadable, syntax
        case unknownKey = "unknown_key"
        case unknownTopic = "unknown_topic"
        case badDuration = "bad_duration"
        case wrongType = "wrong_type"
        case duplicateRule = "duplicate_rule"
        case missingField = "missing_field"
        case invalidValue = "invalid_value"
    }

    var code: Code
    var file: String
    /// 1-based, as editors count.
    var line: Int
    var column: Int
    var reason: String

    var description: String { "\(file):\(line):\(column): \(reason)" }
}
