/// A record that can list everything wrong with it, so a producer can report every problem at once.
public protocol Validatable {
    /// Every problem found, in field order; empty when the record is valid.
    func validate() -> [ValidationIssue]
}

extension Validatable {
    /// Whether `validate()` found nothing.
    public var isValid: Bool { validate().isEmpty }
}

/// One problem with one field: where (`valuation.currency`, `investors[2]`), a stable machine code, and a human reason.
///
/// Codes: `empty`, `missing`, `wrong_type`, `invalid_json`, `invalid_value`, `unknown_currency`, `unknown_country`,
/// `negative`, `not_finite`, `invalid_date`, `invalid_time`, `out_of_range`, `invalid_kind`.
public struct ValidationIssue: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// Dotted path of the field; empty for the record as a whole.
    public var field: String
    /// Stable machine-readable code, for dead-letter headers and metrics labels.
    public var code: String
    /// What is wrong, for a person.
    public var reason: String

    public init(field: String, code: String, reason: String) {
        self.field = field
        self.code = code
        self.reason = reason
    }

    /// `field: reason`, or the reason alone for the record as a whole.
    public var description: String { field.isEmpty ? reason : "\(field): \(reason)" }
}

/// Thrown by `KakusaJSON.decodeValid` when bytes do not decode or the record does not validate.
public struct ValidationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// Every problem found; never empty.
    public var issues: [ValidationIssue]

    public init(issues: [ValidationIssue]) {
        self.issues = issues
    }

    public var description: String { issues.map(\.description).joined(separator: "; ") }
}
