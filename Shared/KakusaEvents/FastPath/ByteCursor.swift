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

    /// A number as `JSONWriter.number(_: Double)` writes it.
    package mutating func number(_ value: Double) {
        if value == value.rounded(.towardZero), abs(value) < 9_007_199_254_740_992, value != 0 || value.sign == .plus {
            // Whole: its digits, without the writer's array.
            if value < 0 { byte(UInt8(ascii: "-")) }
            JSONWriter.withDigits(of: Int(value).magnitude) { copy($0) }
            return
        }
        var writer = JSONWriter(capacity: 32)
        writer.number(value)
        writer.bytes.withUnsafeBufferPointer { copy($0) }
    }
}
