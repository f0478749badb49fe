/// Finds where a text stops being JSON (RFC 8259), to say more than Foundation's "The given data was not valid
/// JSON.": the column, what was found and what was expected. Only called on text the decoder refused.
public enum JSONSyntax {
    /// Nesting deeper than this is refused, as the decoder refuses it.
    static let maxDepth = 512

    /// A readable reason for the first syntax error in `bytes`, or nil if the text is JSON after all.
    public static func firstError(in bytes: some Collection<UInt8>) -> String? {
        let bytes = Array(bytes)
        var parser = Parser(bytes: bytes)
        do throws(Failure) {
            parser.skipSpace()
            try parser.value(depth: 0)
            parser.skipSpace()
            if parser.index < bytes.count { throw parser.error("expected the end of the text") }
            return nil
        } catch {
            return error.reason
        }
    }

    struct Failure: Error {
        var reason: String
    }

    struct Parser {
        let bytes: [UInt8]
        var index = 0

        func error(_ expectation: String) -> Failure {
            let found: String
            if index >= bytes.count {
                found = "the text ends"
            } else {
                let byte = bytes[index]
                found = byte >= 0x20 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x"
                    + String(byte, radix: 16, uppercase: true)
            }
            let at = index >= bytes.count ? "at the end (column \(index + 1))" : "at column \(index + 1)"
            return Failure(reason: "\(found == "the text ends" ? found : "unexpected \(found)") \(at): \(expectation)")
        }

        var next: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipSpace() {
            while let byte = next, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
        }

        mutating func value(depth: Int) throws(Failure) {
            guard depth < JSONSyntax.maxDepth else { throw error("nesting deeper than \(JSONSyntax.maxDepth)") }
            guard let byte = next else { throw error("expected a value") }
            switch byte {
            case UInt8(ascii: "{"): try object(depth: depth)
            case UInt8(ascii: "["): try array(depth: depth)
            case UInt8(ascii: "\""): try string()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
            default: throw error("expected a value (object, array, string, number, true, false or null)")
            }
        }

        mutating func object(depth: Int) throws(Failure) {
            index += 1
            skipSpace()
            if next == UInt8(ascii: "}") {
                index += 1
                return
            }
            while true {
                guard next == UInt8(ascii: "\"") else { throw error("expected a member name in double quotes") }
                try string()
                skipSpace()
                guard next == UInt8(ascii: ":") else { throw error("expected ':' after the member name") }
                index += 1
                skipSpace()
                try value(depth: depth + 1)
                skipSpace()
                if next == UInt8(ascii: ",") {
                    index += 1
                    skipSpace()
                    continue
                }
                guard next == UInt8(ascii: "}") else { throw error("expected ',' or '}'") }
                index += 1
                return
            }
        }

        mutating func array(depth: Int) throws(Failure) {
            index += 1
            skipSpace()
            if next == UInt8(ascii: "]") {
                index += 1
                return
            }
            while true {
                try value(depth: depth + 1)
                skipSpace()
                if next == UInt8(ascii: ",") {
                    index += 1
                    skipSpace()
                    continue
                }
                guard next == UInt8(ascii: "]") else { throw error("expected ',' or ']'") }
                index += 1
                return
            }
        }

        mutating func string() throws(Failure) {
            index += 1
            while let byte = next {
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return
                case UInt8(ascii: "\\"):
                    index += 1
                    guard let escaped = next else { throw error("expected an escape after '\\'") }
                    if escaped == UInt8(ascii: "u") {
                        for _ in 0..<4 {
                            index += 1
                            guard let hex = next, (hex | 0x20) >= UInt8(ascii: "a") && (hex | 0x20) <= UInt8(ascii: "f")
                                || (hex >= UInt8(ascii: "0") && hex <= UInt8(ascii: "9"))
                            else { throw error("expected four hex digits after '\\u'") }
                        }
                    } else if !"\"\\/bfnrt".utf8.contains(escaped) {
                        throw error("expected one of \" \\ / b f n r t u after '\\'")
                    }
                    index += 1
                case 0..<0x20:
                    throw error("control characters must be escaped in a string")
                default:
                    index += 1
                }
            }
            throw error("expected '\"' to close the string")
        }

        mutating func literal(_ word: String) throws(Failure) {
            let end = index + word.utf8.count
            guard end <= bytes.count, bytes[index..<end].elementsEqual(word.utf8) else {
                throw error("expected a value (object, array, string, number, true, false or null)")
            }
            index = end
        }

        mutating func number() throws(Failure) {
            if next == UInt8(ascii: "-") { index += 1 }
            guard let first = next, first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9") else {
                throw error("expected a digit")
            }
            index += 1
            if first != UInt8(ascii: "0") { digits() }
            if next == UInt8(ascii: ".") {
                index += 1
                guard isDigit(next) else { throw error("expected a digit after '.'") }
                digits()
            }
            if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
                index += 1
                if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { index += 1 }
                guard isDigit(next) else { throw error("expected a digit in the exponent") }
                digits()
            }
        }

        func isDigit(_ byte: UInt8?) -> Bool { byte.map { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } ?? false }

        mutating func digits() {
            while isDigit(next) { index += 1 }
        }
    }
}
