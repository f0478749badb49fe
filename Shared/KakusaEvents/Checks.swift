import Foundation

/// Collects issues field by field, so each record's `validate()` reads as a list of rules.
struct Checks {
    private(set) var issues: [ValidationIssue] = []

    mutating func add(_ field: String, _ code: String, _ reason: String) {
        issues.append(ValidationIssue(field: field, code: code, reason: reason))
    }

    mutating func add(_ nested: [ValidationIssue], under prefix: String) {
        for issue in nested {
            let field = issue.field.isEmpty ? prefix : "\(prefix).\(issue.field)"
            issues.append(ValidationIssue(field: field, code: issue.code, reason: issue.reason))
        }
    }

    /// `field` is made only for an issue: the investors' field names (`investors[3]`) had cost more than the
    /// checks.
    mutating func name(_ field: @autoclosure () -> String, _ value: String) {
        // A name with an ASCII letter or digit has a slug and is not blank: the common case needs no slug made.
        if value.utf8.contains(where: { Slug.keeps(asciiByte: $0) }) { return }
        if Self.isBlank(value) {
            add(field(), "empty", "must not be empty or only whitespace")
        } else if Slug.make(value).isEmpty {
            // Names become keys (slugs): one made only of punctuation or control characters would share the
            // empty key with every other such name.
            add(field(), "no_letters", "must contain a letter or a digit")
        }
    }

    mutating func country(_ field: String, _ value: String) {
        if !ISO3166.isAssigned(value) {
            add(field, "unknown_country", "\"\(value)\" is not an ISO 3166-1 alpha-2 country code (upper case)")
        }
    }

    mutating func currency(_ field: String, _ value: String) {
        if !ISO4217.isActive(value) {
            add(field, "unknown_currency", "\"\(value)\" is not an active ISO 4217 currency code (upper case)")
        }
    }

    mutating func finite(_ field: String, _ value: Double) {
        if !value.isFinite { add(field, "not_finite", "must be a finite number") }
    }

    mutating func nonNegative(_ field: String, _ value: Double) {
        if !value.isFinite {
            add(field, "not_finite", "must be a finite number")
        } else if value < 0 {
            add(field, "negative", "must not be negative, got \(value)")
        }
    }

    mutating func nonNegative(_ field: String, _ value: Int) {
        if value < 0 { add(field, "negative", "must not be negative, got \(value)") }
    }

    mutating func range(_ field: String, _ value: Int, _ bounds: ClosedRange<Int>) {
        if !bounds.contains(value) {
            add(field, "out_of_range", "must be in \(bounds.lowerBound)...\(bounds.upperBound), got \(value)")
        }
    }

    mutating func range(_ field: String, _ value: Double, _ bounds: ClosedRange<Double>) {
        if !value.isFinite {
            add(field, "not_finite", "must be a finite number")
        } else if !bounds.contains(value) {
            add(field, "out_of_range", "must be in \(bounds.lowerBound)...\(bounds.upperBound), got \(value)")
        }
    }

    mutating func date(_ field: String, _ value: String) {
        if !RFC3339.isValidDate(value) {
            add(field, "invalid_date", "\"\(value)\" is not a real calendar date written YYYY-MM-DD")
        }
    }

    mutating func dateTime(_ field: String, _ value: String) {
        if !RFC3339.isValidDateTime(value) {
            add(field, "invalid_time", "\"\(value)\" is not an RFC 3339 date-time such as 2025-01-27T14:30:00Z")
        }
    }
}

extension Checks {
    /// Empty or only whitespace and newlines. Without Foundation when an ASCII character settles it: trimming
    /// through `NSString` was a fifth of the aggregator's CPU per record.
    static func isBlank(_ value: String) -> Bool {
        if value.utf8.contains(where: RecordID.isPlainASCII) { return false }
        return value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }
}
