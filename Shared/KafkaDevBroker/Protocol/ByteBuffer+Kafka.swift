import NIOCore

/// Writers of Kafka's primitive types; `flexible` selects the compact encoding of flexible versions.
extension ByteBuffer {
    mutating func writeKafkaBool(_ value: Bool) { writeInteger(Int8(value ? 1 : 0)) }

    mutating func writeUnsignedVarint(_ value: UInt32) {
        var v = value
        while v >= 0x80 {
            writeInteger(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        writeInteger(UInt8(v))
    }

    mutating func writeVarint(_ value: Int32) {
        writeUnsignedVarint(UInt32(bitPattern: (value << 1) ^ (value >> 31)))
    }

    mutating func writeVarlong(_ value: Int64) {
        var v = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while v >= 0x80 {
            writeInteger(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        writeInteger(UInt8(v))
    }

    mutating func writeKafkaString(_ value: String?, flexible: Bool = false) {
        guard let value else {
            if flexible { writeUnsignedVarint(0) } else { writeInteger(Int16(-1)) }
            return
        }
        let utf8 = value.utf8
        if flexible { writeUnsignedVarint(UInt32(utf8.count + 1)) } else { writeInteger(Int16(utf8.count)) }
        writeString(value)
    }

    mutating func writeKafkaBytes(_ value: ByteBuffer?, flexible: Bool = false) {
        guard var value else {
            if flexible { writeUnsignedVarint(0) } else { writeInteger(Int32(-1)) }
            return
        }
        if flexible {
            writeUnsignedVarint(UInt32(value.readableBytes + 1))
        } else {
            writeInteger(Int32(value.readableBytes))
        }
        writeBuffer(&value)
    }

    mutating func writeArrayLength(_ count: Int?, flexible: Bool = false) {
        guard let count else {
            if flexible { writeUnsignedVarint(0) } else { writeInteger(Int32(-1)) }
            return
        }
        if flexible { writeUnsignedVarint(UInt32(count + 1)) } else { writeInteger(Int32(count)) }
    }

    mutating func writeKafkaArray<S: Collection>(
        _ elements: S, flexible: Bool = false, _ element: (inout ByteBuffer, S.Element) -> Void
    ) {
        writeArrayLength(elements.count, flexible: flexible)
        for e in elements { element(&self, e) }
    }

    /// An empty set of tagged fields, written only in flexible versions.
    mutating func writeEmptyTaggedFields(flexible: Bool) {
        if flexible { writeUnsignedVarint(0) }
    }
}
