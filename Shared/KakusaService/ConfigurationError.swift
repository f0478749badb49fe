/// A configuration value that cannot be used: which key, where it came from, what was wrong, what to do.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, stable for tests and for matching in scripts.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public var description: String { rawValue }

        /// The value does not parse as the key's type (a port that is not a number, an unknown log level).
        public static let invalidValue = Code(rawValue: "invalid-value")
        /// The key has no default and no value was given.
        public static let missingValue = Code(rawValue: "missing-value")
    }

    public var code: Code
    public var key: ConfigurationKey
    public var value: String?
    /// What is accepted, phrased so that the user knows how to fix it.
    public var expected: String

    public init(code: Code, key: ConfigurationKey, value: String?, expected: String) {
        self.code = code
        self.key = key
        self.value = value
        self.expected = expected
    }

    public var description: String {
        let source = key.flag.map { "--\($0) or \(key.environmentName)" } ?? key.environmentName
        let given = value.map { " got '\($0)'," } ?? ""
        return "configuration \(code): \(source):\(given) expected \(expected)"
    }
}
