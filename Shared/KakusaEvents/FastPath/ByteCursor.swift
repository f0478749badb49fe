/// Writes bytes through a pointer into room made at the end of an array, for the hottest writers: one capacity
/// check and one copy a record instead of one generic `append(contentsOf:)` a piece, which had been a sixth of the
/// ingester's time. Bounds are checked on every write: a wrong estimate traps, it never writes past the room.
package struct ByteCursor {
    private var next: UnsafeMutablePointer<UInt8>
    private let end: UnsafeMutablePointer<UInt8>

    /// Makes room for at most `bound` bytes at the end of `bytes`, lets `body` write them, and keeps what it wrote.
    package static func append(to bytes: inout [UInt8], bound: Int, _ body: (inout ByteCursor) -> Void) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: bound))
        let written = bytes.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress! + start
            var cursor = ByteCursor(next: base, end: base + bound)
            body(&cursor)
            return cursor.next - base
        }
        bytes.removeLast(bound - written)
    }

    private init(next: UnsafeMutablePointer<UInt8>, end: UnsafeMutablePointer<UInt8>) {
        self.next = next
        self.end = end
    }

    @inline(__always)
    package mutating func byte(_ byte: UInt8) {
        precondition(next < end, "ByteCursor: more bytes than the bound")
        next.initialize(to: byte)
        next += 1
    }

    @inline(__always)
    package mutating func copy(_ source: UnsafeBufferPointer<UInt8>) {
        precondition(end - next >= source.count, "ByteCursor: more bytes than the bound")
        guard let base = source.baseAddress else { return }
        next.update(from: base, count: source.count)
        next += source.count
    }

    @inline(__always)
    package mutating func copy(_ source: UnsafeRawBufferPointer) {
        precondition(end - next >= source.count, "ByteCursor: more bytes than the bound")
        guard let base = source.baseAddress else { return }
        UnsafeMutableRawPointer(next).copyMemory(from: base, byteCount: source.count)
        next += source.count
    }

    @inline(__always)
    package mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { copy($0) }
    }

    /// The most bytes ``number(_:)`` writes.
    package static let numberBound = 32

    /// A number as `JSONEncoder` writes a `Double`: a whole number below 2^53 as its digits, any other as its
    /// `description` without a trailing `.0`; at most ``numberBound`` bytes.
    package mutating func number(_ value: Double) {
        if value == value.rounded(.towardZero), abs(value) < 9_007_199_254_740_992, value != 0 || value.sign == .plus {
            number(Int(value))  // whole: its digits
            return
        }
        var text = value.description  // up to 15 bytes it is stored inline: no allocation
        text.withUTF8 { utf8 in
            let whole = utf8.count > 2 && utf8[utf8.count - 2] == UInt8(ascii: ".") && utf8[utf8.count - 1] == UInt8(ascii: "0")
            copy(whole ? UnsafeBufferPointer(rebasing: utf8.dropLast(2)) : utf8)
        }
    }

    /// An integer's digits, `-` first if negative: at most ``numberBound`` bytes.
    package mutating func number(_ value: Int) {
        if value < 0 { byte(UInt8(ascii: "-")) }
        Self.withDigits(of: value.magnitude) { copy($0) }
    }

    /// The decimal digits of `magnitude`, written backwards into a small buffer on the stack (no allocation).
    @inline(__always)
    private static func withDigits(of magnitude: UInt, _ body: (UnsafeRawBufferPointer) -> Void) {
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

    /// The most bytes ``string(_:)`` writes for `value`: its bytes and quotes, and five more for each byte it may
    /// escape (`\u00XX`). Counted, not six times the length: the room is zero-filled first, and a long plain
    /// string (a source URL, a 1 MiB field) would have reserved six times its size.
    package static func stringBound(_ value: String) -> Int {
        // Counted over the string's bytes in place (its UTF-8 view's iterator was ~6% of the derivation).
        let escaped = value.utf8.withContiguousStorageIfAvailable(escapes) ?? escapes(value.utf8)
        return value.utf8.count + 2 + 5 * escaped
    }

    private static func escapes(_ bytes: some Collection<UInt8>) -> Int {
        var count = 0
        for byte in bytes where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { count += 1 }
        return count
    }

    /// A string as `JSONEncoder` writes it with `.withoutEscapingSlashes`: at most
    /// ``stringBound(_:)`` bytes.
    package mutating func string(_ value: String) {
        byte(UInt8(ascii: "\""))
        var value = value  // a native string's bytes are read in place
        value.withUTF8 { utf8 in
            guard utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                copy(utf8)
                return
            }
            for byte in utf8 { escaped(byte) }
        }
        byte(UInt8(ascii: "\""))
    }

    private mutating func escaped(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): raw("\\\"")
        case UInt8(ascii: "\\"): raw("\\\\")
        case 0x08: raw("\\b")
        case 0x0C: raw("\\f")
        case 0x0A: raw("\\n")
        case 0x0D: raw("\\r")
        case 0x09: raw("\\t")
        case 0..<0x20:
            let hex: StaticString = "0123456789abcdef"
            raw("\\u00")
            hex.withUTF8Buffer { digits in
                self.byte(digits[Int(byte >> 4)])
                self.byte(digits[Int(byte & 0xF)])
            }
        default: self.byte(byte)
        }
    }

    package mutating func optionalString(_ value: String?) {
        if let value { string(value) } else { raw("null") }
    }

    /// The most bytes ``money(_:)`` writes for `money`.
    package static func moneyBound(_ money: Money) -> Int { 24 + numberBound + stringBound(money.currency) }

    /// `{"amount":…,"currency":…}`, as `JSONEncoder` writes a `Money`: at most ``moneyBound(_:)`` bytes.
    package mutating func money(_ money: Money) {
        raw("{\"amount\":")
        number(money.amount)
        raw(",\"currency\":")
        string(money.currency)
        raw("}")
    }
}
