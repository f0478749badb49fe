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

    /// A string as `JSONEncoder` writes it with `.withoutEscapingSlashes` (``ByteCursor/string(_:)``).
    package mutating func string(_ value: String) {
        ByteCursor.append(to: &bytes, bound: ByteCursor.stringBound(value)) { $0.string(value) }
    }

    package mutating func optionalString(_ value: String?) {
        if let value { string(value) } else { raw("null") }
    }

    /// A number as `JSONEncoder` writes a `Double` (``ByteCursor/number(_:)``).
    package mutating func number(_ value: Double) {
        ByteCursor.append(to: &bytes, bound: ByteCursor.numberBound) { $0.number(value) }
    }

    package mutating func number(_ value: Int) {
        ByteCursor.append(to: &bytes, bound: ByteCursor.numberBound) { $0.number(value) }
    }

    package mutating func money(_ money: Money) {
        ByteCursor.append(to: &bytes, bound: ByteCursor.moneyBound(money)) { $0.money(money) }
    }
}
