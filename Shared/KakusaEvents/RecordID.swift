import CLibCrypto
import Foundation

/// Content-derived record ids: the same fact gives the same id on every run and machine, so ingesting a file
/// twice produces no second change and no second alert.
///
/// The id is the lower-case hex of the first 16 bytes of SHA-256 over a canonical UTF-8 byte string:
/// the type tag (e.g. `funding-round.v1`), then one `name=value` per covered field in the documented order,
/// all separated by the byte 0x1F. Values are written canonically:
/// - strings: NFC, surrounding whitespace trimmed;
/// - numbers: shortest round-trip decimal without exponent or trailing zeros (`3.3e9` and `3300000000.0`
///   are both `3300000000`; `-0` is `0`);
/// - money: `<amount> <currency>`;
/// - absent optionals: the empty string;
/// - lists: elements joined by 0x1E, in the order the type documents (sorted by UTF-8 bytes where order
///   carries no meaning); dictionaries as `key:value` sorted by key, joined by 0x1E.
public enum RecordID {
    /// The id over `fields` in the given order, tagged with `type`.
    public static func derive(type: String, fields: KeyValuePairs<String, String>) -> String {
        // Bytes straight into one buffer: string concatenation cost more than the hash (it runs once per record).
        var canonical: [UInt8] = []
        canonical.reserveCapacity(type.utf8.count + fields.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count + 2 })
        canonical.append(contentsOf: type.utf8)
        for (name, value) in fields {
            canonical.append(0x1F)
            canonical.append(contentsOf: name.utf8)
            canonical.append(UInt8(ascii: "="))
            canonical.append(contentsOf: value.utf8)
        }
        return hash(canonical)
    }

    /// Hex of the first 16 bytes of the SHA-256 of a canonical string.
    static func hash(_ canonical: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: 32) { hex in
            var i = 0
            forEachHexDigit(of: canonical) { digit in
                hex[i] = digit
                i += 1
            }
            return 32
        }
    }

    /// Appends the same 32 hex digits to `bytes`.
    static func appendHash(of canonical: [UInt8], to bytes: inout [UInt8]) {
        forEachHexDigit(of: canonical) { bytes.append($0) }
    }

    @inline(__always)
    private static func forEachHexDigit(of canonical: [UInt8], _ emit: (UInt8) -> Void) {
        // OpenSSL's SHA-256, its context and digest on the stack: no allocation per id.
        var context = SHA256_CTX()
        var digest: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digest) { digest in
            SHA256_Init(&context)
            canonical.withUnsafeBytes { _ = SHA256_Update(&context, $0.baseAddress, $0.count) }
            SHA256_Final(digest.baseAddress!.assumingMemoryBound(to: UInt8.self), &context)
            let hex: StaticString = "0123456789abcdef"
            hex.withUTF8Buffer { hex in
                for byte in digest.prefix(16) {
                    emit(hex[Int(byte >> 4)])
                    emit(hex[Int(byte & 0x0F)])
                }
            }
        }
    }

    /// `given` when it has any non-whitespace character, else `derived`: the `effectiveID` of every input.
    public static func effective(given: String?, derived: @autoclosure () -> String) -> String {
        if let given, given.utf8.contains(where: isPlainASCII) { return given }  // the common case, without Foundation
        if let given, !given.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return given }
        return derived()
    }

    /// A string as it enters an id: NFC, trimmed.
    public static func canonical(_ text: String?) -> String {
        let text = text ?? ""
        // ASCII is its own NFC: without surrounding whitespace it is already canonical (and Foundation is slow).
        if let first = text.utf8.first, let last = text.utf8.last, isPlainASCII(first), isPlainASCII(last),
            text.utf8.allSatisfy({ $0 < 0x80 })
        {
            return text
        }
        return text.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// An ASCII byte that is not whitespace or a newline (as `CharacterSet.whitespacesAndNewlines` has them).
    package static func isPlainASCII(_ byte: UInt8) -> Bool {
        byte < 0x80 && byte != 0x20 && !(0x09...0x0D).contains(byte)
    }

    /// A number as it enters an id: plain decimal, no exponent, no trailing zeros.
    public static func canonical(_ number: Double?) -> String {
        guard let number else { return "" }
        guard number.isFinite else { return number.isNaN ? "nan" : (number < 0 ? "-inf" : "inf") }
        if number == 0 { return "0" }
        // A whole number below 10^15 is its integer digits (the common amount), without parsing its description.
        if number.magnitude < 1e15, number == number.rounded(.towardZero) { return String(Int(number)) }
        return plainDecimal(number.description)
    }

    /// An integer as it enters an id.
    public static func canonical(_ number: Int?) -> String {
        number.map(String.init) ?? ""
    }

    /// Money as it enters an id: `<amount> <currency>`, or empty when absent.
    public static func canonical(_ money: Money?) -> String {
        guard let money else { return "" }
        return "\(canonical(money.amount)) \(canonical(money.currency))"
    }

    /// A list as it enters an id, elements canonical and joined by 0x1E; `sorted` orders them by UTF-8 bytes.
    public static func canonical(_ list: [String], sorted: Bool) -> String {
        var elements = list.map { canonical($0) }
        if sorted { elements.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) } }
        return elements.joined(separator: "\u{1E}")
    }

    /// A dictionary of numbers as it enters an id: `key:value` sorted by key, joined by 0x1E.
    public static func canonical(_ map: [String: Double]) -> String {
        map.map { "\(canonical($0.key)):\(canonical($0.value))" }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .joined(separator: "\u{1E}")
    }

    /// Expands Swift's shortest round-trip description (`3.3e+09`, `1e-05`, `2.5`) to plain decimal.
    private static func plainDecimal(_ description: String) -> String {
        var text = Substring(description)
        var sign = ""
        if text.hasPrefix("-") {
            sign = "-"
            text = text.dropFirst()
        }
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...].replacingOccurrences(of: "+", with: "")) ?? 0
            text = text[..<e]
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let integer = String(parts[0])
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = integer + fraction
        var point = integer.count + exponent
        if point <= 0 {
            digits = String(repeating: "0", count: -point + 1) + digits
            point = 1
        } else if point > digits.count {
            digits += String(repeating: "0", count: point - digits.count)
        }
        var whole = String(digits.prefix(point))
        var decimals = String(digits.dropFirst(point))
        while decimals.hasSuffix("0") { decimals.removeLast() }
        while whole.count > 1 && whole.hasPrefix("0") { whole.removeFirst() }
        return sign + (decimals.isEmpty ? whole : "\(whole).\(decimals)")
    }
}
