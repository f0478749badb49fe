/// JSON written byte by byte as `KakusaJSON.encode` writes it (`JSONEncoder` with `.withoutEscapingSlashes`), for
/// the hot paths that encode a record per input record; callers write the keys in sorted order themselves. Tests
/// compare the bytes with `KakusaJSON.encode` (aggregator `FastJSONTests`, ingester `FastPathTests`).
package struct JSONWriter {
    package var bytes: [UInt8] = []

    package init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    /// Writes with `body` at the end of `bytes` (moved in and out, not copied): for records laid out in one buffer.
    package static func append(to bytes: inout [UInt8], _ body: (inout JSONWriter) -> Void) {
        var writer = JSONWriter(capacity: 0)
        swap(&writer.bytes, &bytes)
        body(&writer)
        swap(&writer.bytes, &bytes)
    }

    package mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// A string as `JSONEncoder` writes it with `.withoutEscapingSlashes`.
    package mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        // Contiguous UTF-8 (native strings are): one scan and one copy, no per-byte iterator.
        let plain = value.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            guard !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                return false
            }
            bytes.append(contentsOf: utf8)
            return true
        }
        if plain == true {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        if plain == nil, !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: value.utf8)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                raw("\\u00")
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    package mutating func optionalString(_ value: String?) {
        if let value { string(value) } else { raw("null") }
    }

    /// A number as `JSONEncoder` writes a `Double`: its description, without a trailing `.0`.
    package mutating func number(_ value: Double) {
        // A whole number below 2^53 is its digits in `description` (then ".0", left out here); -0 is not.
        if value == value.rounded(.towardZero), abs(value) < 9_007_199_254_740_992, value != 0 || value.sign == .plus {
            number(Int(value))
            return
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    package mutating func number(_ value: Int) {
        guard value != .min else {
            bytes.append(contentsOf: String(value).utf8)
            return
        }
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        Self.withDigits(of: value.magnitude) { bytes.append(contentsOf: $0) }
    }

    /// The decimal digits of `magnitude`, written backwards into a small buffer on the stack (no allocation).
    @inline(__always)
    package static func withDigits(of magnitude: UInt, _ body: (UnsafeRawBufferPointer) -> Void) {
        var rest = magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for every Int's digits
        withUnsafeMutableBytes(of: &digits) { buffer in
            var start = buffer.count
            repeat {
                start -= 1
                buffer[start] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            body(UnsafeRawBufferPointer(rebasing: buffer[start...]))
        }
    }

    package mutating func money(_ money: Money) {
        raw("{\"amount\":")
        number(money.amount)
        raw(",\"currency\":")
        string(money.currency)
        raw("}")
    }
}
