/// A strict, minimal JSON scanner over bytes for the fast paths of the ingester and the aggregator: it reads what
/// the three input records are made of (objects, arrays of strings, strings without escapes, numbers, null) and
/// answers nil to anything else, which sends the record to `KakusaJSON`.
package struct JSONScanner {
    package let bytes: UnsafeBufferPointer<UInt8>
    package var index: Int

    package init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        self.index = 0
    }

    package var isAtEnd: Bool { index >= bytes.count }

    package mutating func skipSpace() {
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            index += 1
        }
    }

    /// Consumes `byte` (after whitespace) if it is next.
    package mutating func take(_ byte: UInt8) -> Bool {
        skipSpace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// Consumes `null` if it is next.
    package mutating func takeNull() -> Bool {
        skipSpace()
        guard index + 4 <= bytes.count, bytes[index] == 0x6E, bytes[index + 1] == 0x75, bytes[index + 2] == 0x6C,
            bytes[index + 3] == 0x6C
        else { return false }
        index += 4
        return true
    }

    /// The byte range of a string without escapes or control characters; nil otherwise.
    package mutating func stringRange() -> Range<Int>? {
        guard take(0x22) else { return nil }
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x22 {
                index += 1
                return start..<index - 1
            }
            if byte == 0x5C || byte < 0x20 { return nil }
            index += 1
        }
        return nil
    }

    /// A string without escapes; nil also for invalid UTF-8 (records read from Kafka may hold anything).
    package mutating func string() -> String? {
        guard let range = stringRange() else { return nil }
        let text = UnsafeBufferPointer(rebasing: bytes[range])
        if text.allSatisfy({ $0 < 0x80 }) { return String(decoding: text, as: UTF8.self) }
        return String(validating: text, as: UTF8.self)
    }

    /// Whether the string at `range` equals `name`.
    package func equals(_ range: Range<Int>, _ name: StaticString) -> Bool {
        guard range.count == name.utf8CodeUnitCount else { return false }
        let pointer = name.utf8Start
        for offset in 0..<range.count where bytes[range.lowerBound + offset] != pointer[offset] { return false }
        return true
    }

    private static let exactPowersOfTen: [Double] = (0...22).map { power in
        var value = 1.0
        for _ in 0..<power { value *= 10 }
        return value
    }

    /// A number that is a whole Int.
    package mutating func integer() -> Int? { number().flatMap { Int(exactly: $0) } }

    /// A JSON number. Exact for up to 15 significant digits and small exponents (Clinger's fast path);
    /// otherwise the standard library's parser.
    package mutating func number() -> Double? {
        skipSpace()
        let start = index
        var negative = false
        if index < bytes.count, bytes[index] == 0x2D {
            negative = true
            index += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var nonZero = false
        let integerStart = index
        while index < bytes.count, bytes[index] &- 0x30 < 10 {
            nonZero = nonZero || bytes[index] != 0x30
            mantissa = mantissa &* 10 &+ UInt64(bytes[index] &- 0x30)
            digits += 1
            index += 1
        }
        let integerDigits = index - integerStart
        guard integerDigits > 0, !(integerDigits > 1 && bytes[integerStart] == 0x30) else { return nil }
        var fractionDigits = 0
        if index < bytes.count, bytes[index] == 0x2E {
            index += 1
            while index < bytes.count, bytes[index] &- 0x30 < 10 {
                nonZero = nonZero || bytes[index] != 0x30
                mantissa = mantissa &* 10 &+ UInt64(bytes[index] &- 0x30)
                digits += 1
                fractionDigits += 1
                index += 1
            }
            guard fractionDigits > 0 else { return nil }
        }
        var hasExponent = false
        if index < bytes.count, bytes[index] == 0x65 || bytes[index] == 0x45 {
            hasExponent = true
            index += 1
            if index < bytes.count, bytes[index] == 0x2B || bytes[index] == 0x2D { index += 1 }
            let exponentStart = index
            while index < bytes.count, bytes[index] &- 0x30 < 10 { index += 1 }
            guard index > exponentStart else { return nil }
        }
        if !hasExponent && digits <= 15 && fractionDigits <= 22 {
            let value = Double(mantissa) / Self.exactPowersOfTen[fractionDigits]
            return negative ? -value : value
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        // A number beyond Double (1e400, or 1e-400 underflowing to 0) is left to the Foundation path, which refuses
        // it: the fast path must never accept what the slow one rejects.
        guard let value = Double(text), value.isFinite, value != 0 || !nonZero else { return nil }
        return value
    }

    /// `["a","b"]`: strings only.
    package mutating func stringArray() -> [String]? {
        guard take(0x5B) else { return nil }
        var result: [String] = []
        if take(0x5D) { return result }
        repeat {
            guard let value = string() else { return nil }
            result.append(value)
        } while take(0x2C)
        return take(0x5D) ? result : nil
    }

    /// Iterates an object's members: calls `member` with each key's range, which must consume the value.
    package mutating func object(_ member: (inout JSONScanner, Range<Int>) -> Bool) -> Bool {
        guard take(0x7B) else { return false }
        if take(0x7D) { return true }
        repeat {
            guard let key = stringRange(), take(0x3A), member(&self, key) else { return false }
        } while take(0x2C)
        return take(0x7D)
    }
}
