import NIOCore

/// A request that cannot be read: the connection is closed, as Kafka does for a request it cannot parse.
public struct MalformedRequest: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "malformed request: \(reason)" }
}

/// Reads Kafka's primitive types from a request body, classic or flexible (compact) encoding.
struct KafkaReader {
    var buffer: ByteBuffer
    /// Whether strings, arrays and bytes use the compact (flexible-version) encoding.
    var flexible: Bool

    init(_ buffer: ByteBuffer, flexible: Bool = false) {
        self.buffer = buffer
        self.flexible = flexible
    }

    var remaining: Int { buffer.readableBytes }

    mutating func int8() throws -> Int8 { try read(Int8.self) }
    mutating func int16() throws -> Int16 { try read(Int16.self) }
    mutating func int32() throws -> Int32 { try read(Int32.self) }
    mutating func int64() throws -> Int64 { try read(Int64.self) }
    mutating func bool() throws -> Bool { try int8() != 0 }

    private mutating func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
        guard let value = buffer.readInteger(as: T.self) else { throw MalformedRequest(reason: "truncated \(T.self)") }
        return value
    }

    mutating func unsignedVarint() throws -> UInt32 {
        var result: UInt32 = 0
        var shift: UInt32 = 0
        while true {
            let byte = try read(UInt8.self)
            result |= UInt32(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 28 { throw MalformedRequest(reason: "varint too long") }
        }
    }

    mutating func varint() throws -> Int32 {
        let raw = try unsignedVarint()
        return Int32(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    mutating func varlong() throws -> Int64 {
        var raw: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try read(UInt8.self)
            raw |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
            if shift > 63 { throw MalformedRequest(reason: "varlong too long") }
        }
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// A length prefix: int16/int32 in classic versions, unsigned varint N+1 in flexible ones; nil for null.
    private mutating func length(classicWide: Bool) throws -> Int? {
        if flexible {
            let n = try unsignedVarint()
            return n == 0 ? nil : Int(n - 1)
        }
        let n = classicWide ? Int(try int32()) : Int(try int16())
        return n < 0 ? nil : n
    }

    mutating func nullableString() throws -> String? {
        guard let n = try length(classicWide: false) else { return nil }
        guard n <= buffer.readableBytes, let s = buffer.readString(length: n) else {
            throw MalformedRequest(reason: "string of \(n) bytes past the end")
        }
        return s
    }

    mutating func string() throws -> String {
        guard let s = try nullableString() else { throw MalformedRequest(reason: "null where a string is required") }
        return s
    }

    mutating func nullableBytes() throws -> ByteBuffer? {
        guard let n = try length(classicWide: true) else { return nil }
        guard n <= buffer.readableBytes, let slice = buffer.readSlice(length: n) else {
            throw MalformedRequest(reason: "bytes of \(n) past the end")
        }
        return slice
    }

    mutating func bytes() throws -> ByteBuffer {
        try nullableBytes() ?? ByteBuffer()
    }

    /// An array of elements read by `element`; nil for a null array.
    mutating func nullableArray<T>(_ element: (inout KafkaReader) throws -> T) throws -> [T]? {
        guard let n = try length(classicWide: true) else { return nil }
        // Every element takes at least a byte: a count past the body is a lie, refused before allocating.
        guard n <= buffer.readableBytes else { throw MalformedRequest(reason: "array of \(n) past the end") }
        var out: [T] = []
        out.reserveCapacity(min(n, 1024))
        for _ in 0..<n { out.append(try element(&self)) }
        return out
    }

    mutating func array<T>(_ element: (inout KafkaReader) throws -> T) throws -> [T] {
        try nullableArray(element) ?? []
    }

    /// Skips a flexible version's tagged fields (none of which this broker reads).
    mutating func skipTaggedFields() throws {
        guard flexible else { return }
        let count = try unsignedVarint()
        for _ in 0..<count {
            _ = try unsignedVarint()
            let size = Int(try unsignedVarint())
            guard buffer.readableBytes >= size else { throw MalformedRequest(reason: "tagged field past the end") }
            buffer.moveReaderIndex(forwardBy: size)
        }
    }
}
