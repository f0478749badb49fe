import Foundation

/// The one JSON dialect on every topic: UTF-8, keys sorted, slashes not escaped, so the same record is
/// always the same bytes.
public enum KakusaJSON {
    /// Deterministic bytes for `value`.
    public static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    /// Decodes `type` from UTF-8 JSON bytes; throws `DecodingError` (see `ValidationIssue(decodingError:)`).
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }

    /// Decodes and validates a record, throwing `ValidationFailure` with every issue found, bad JSON included.
    public static func decodeValid<T: Decodable & Validatable>(
        _ type: T.Type, from bytes: some Collection<UInt8>
    ) throws(ValidationFailure) -> T {
        let value: T
        do {
            value = try decode(type, from: bytes)
        } catch {
            var issue = ValidationIssue(decodingError: error)
            if issue.code == "invalid_json", let where_ = JSONSyntax.firstError(in: bytes) {
                issue.reason = "is not valid JSON: \(where_)"
            }
            throw ValidationFailure(issues: [issue])
        }
        let issues = value.validate()
        guard issues.isEmpty else { throw ValidationFailure(issues: issues) }
        return value
    }
}
