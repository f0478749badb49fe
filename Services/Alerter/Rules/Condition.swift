import KakusaEvents

/// `when:` — one comparison of the value at a dotted path with an operand.
struct Condition: Sendable, Equatable {
    enum Operator: String, Sendable, CaseIterable {
        case gte, lte, gt, lt, eq
        case absGte = "abs_gte"
    }

    var field: String
    var op: Operator
    /// A number for the ordering operators; any scalar (or null) for `eq`.
    var operand: JSONValue

    /// Whether `record` satisfies it. A missing or non-numeric field never satisfies an ordering operator.
    func matches(_ record: JSONValue) -> Bool {
        let value = record.value(at: field) ?? .null
        if op == .eq { return Self.equal(value, operand) }
        guard let number = value.doubleValue, let bound = operand.doubleValue else { return false }
        switch op {
        case .gte: return number >= bound
        case .lte: return number <= bound
        case .gt: return number > bound
        case .lt: return number < bound
        case .absGte: return abs(number) >= bound
        case .eq: return false
        }
    }

    /// Equality as a rule author means it: numbers by value, a missing field equals null.
    static func equal(_ value: JSONValue, _ expected: JSONValue) -> Bool {
        switch (value, expected) {
        case (.number(let a), .number(let b)): a == b
        default: value == expected
        }
    }
}
