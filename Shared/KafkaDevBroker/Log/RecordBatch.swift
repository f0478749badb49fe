import NIOCore

/// One record batch (magic v2) as a producer sent it: its header fields, read once, and its bytes, kept as they
/// are but for the base offset (and leader epoch), which the broker assigns.
struct RecordBatch: Sendable {
    static let headerSize = 61
    /// Byte offsets of the v2 header fields.
    enum Field {
        static let baseOffset = 0
        static let batchLength = 8
        static let leaderEpoch = 12
        static let magic = 16
        static let crc = 17
        static let attributes = 21
        static let lastOffsetDelta = 23
        static let baseTimestamp = 27
        static let maxTimestamp = 35
        static let producerID = 43
        static let producerEpoch = 51
        static let baseSequence = 53
        static let recordCount = 57
    }

    var bytes: ByteBuffer
    var attributes: Int16
    var lastOffsetDelta: Int32
    var maxTimestamp: Int64
    var producerID: Int64
    var producerEpoch: Int16
    var baseSequence: Int32
    var recordCount: Int32

    var baseOffset: Int64 { bytes.getInteger(at: bytes.readerIndex + Field.baseOffset)! }
    var lastOffset: Int64 { baseOffset + Int64(lastOffsetDelta) }
    var compression: Int { Int(attributes & 0x7) }
    var isTransactional: Bool { attributes & 0x10 != 0 }
    var isControl: Bool { attributes & 0x20 != 0 }
    var hasProducerID: Bool { producerID >= 0 }
    var lastSequence: Int32 {
        baseSequence < 0 ? -1 : Int32(truncatingIfNeeded: (Int64(baseSequence) + Int64(lastOffsetDelta)) % (Int64(Int32.max) + 1))
    }
    var size: Int { bytes.readableBytes }

    enum Invalid: Error, Equatable {
        /// Not a v2 batch, a bad length or a CRC mismatch: CORRUPT_MESSAGE.
        case corrupt(String)
        /// Magic 0 or 1: this broker keeps only batch v2 (Produce v3 and later send nothing else).
        case oldFormat
    }

    /// Splits a Produce request's records field into batches, checking each one's length, magic and CRC-32C.
    static func split(_ records: ByteBuffer) throws(Invalid) -> [RecordBatch] {
        var rest = records
        var batches: [RecordBatch] = []
        while rest.readableBytes > 0 {
            guard rest.readableBytes >= 17 else { throw .corrupt("a truncated batch header") }
            let start = rest.readerIndex
            let length = Int(rest.getInteger(at: start + Field.batchLength, as: Int32.self)!)
            let magic = rest.getInteger(at: start + Field.magic, as: Int8.self)!
            guard magic == 2 else {
                throw magic == 0 || magic == 1 ? .oldFormat : .corrupt("unknown magic \(magic)")
            }
            guard length >= headerSize - 12, rest.readableBytes >= 12 + length else {
                throw .corrupt("batch length \(length) does not match the \(rest.readableBytes) bytes sent")
            }
            let slice = rest.readSlice(length: 12 + length)!
            let expected = slice.getInteger(at: slice.readerIndex + Field.crc, as: UInt32.self)!
            let actual = slice.withUnsafeReadableBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[Field.attributes...])) }
            guard expected == actual else { throw .corrupt("CRC-32C mismatch") }
            batches.append(RecordBatch(slice))
        }
        guard !batches.isEmpty else { throw .corrupt("no record batch") }
        return batches
    }

    /// Kafka's LogValidator for a batch a client sent: the offsets it claims must match its record count, and a
    /// producer's batch must carry a sequence. Nil when it may be appended, else the reason for INVALID_RECORD.
    var clientBatchProblem: String? {
        guard recordCount > 0, lastOffsetDelta >= 0, Int64(lastOffsetDelta) + 1 == Int64(recordCount) else {
            return "last offset delta \(lastOffsetDelta) does not fit \(recordCount) records"
        }
        guard !hasProducerID || baseSequence >= 0 else { return "a producer id without a base sequence" }
        return nil
    }

    /// Wraps bytes already checked (a split batch or one read back from disk).
    init(_ slice: ByteBuffer) {
        bytes = slice
        let i = slice.readerIndex
        attributes = slice.getInteger(at: i + Field.attributes)!
        lastOffsetDelta = slice.getInteger(at: i + Field.lastOffsetDelta)!
        maxTimestamp = slice.getInteger(at: i + Field.maxTimestamp)!
        producerID = slice.getInteger(at: i + Field.producerID)!
        producerEpoch = slice.getInteger(at: i + Field.producerEpoch)!
        baseSequence = slice.getInteger(at: i + Field.baseSequence)!
        recordCount = slice.getInteger(at: i + Field.recordCount)!
    }

    /// Sets the base offset the log assigns; the CRC does not cover it.
    mutating func assign(baseOffset: Int64) {
        // Copy out of the request's buffer so the stored batch does not pin the whole request.
        var own = ByteBufferAllocator().buffer(capacity: bytes.readableBytes)
        own.writeImmutableBuffer(bytes)
        own.setInteger(baseOffset, at: Field.baseOffset)
        own.setInteger(Int32(0), at: Field.leaderEpoch)
        bytes = own
    }

    /// A control batch (transaction marker) as the broker writes it: one record, key (version 0, type), value
    /// (version 0, coordinator epoch).
    static func controlBatch(
        producerID: Int64, producerEpoch: Int16, commit: Bool, coordinatorEpoch: Int32, timestamp: Int64
    ) -> RecordBatch {
        var record = ByteBuffer()
        record.writeInteger(Int8(0))  // record attributes
        record.writeVarlong(0)  // timestamp delta
        record.writeVarint(0)  // offset delta
        record.writeVarint(4)  // key length
        record.writeInteger(Int16(0))
        record.writeInteger(Int16(commit ? 1 : 0))
        record.writeVarint(6)  // value length
        record.writeInteger(Int16(0))
        record.writeInteger(coordinatorEpoch)
        record.writeVarint(0)  // headers
        var b = ByteBuffer()
        b.writeInteger(Int64(0))
        b.writeInteger(Int32(0))  // length, set below
        b.writeInteger(Int32(0))
        b.writeInteger(Int8(2))
        b.writeInteger(UInt32(0))  // crc, set below
        b.writeInteger(Int16(0x30))  // transactional + control
        b.writeInteger(Int32(0))
        b.writeInteger(timestamp)
        b.writeInteger(timestamp)
        b.writeInteger(producerID)
        b.writeInteger(producerEpoch)
        b.writeInteger(Int32(-1))
        b.writeInteger(Int32(1))
        b.writeVarint(Int32(record.readableBytes))
        b.writeBuffer(&record)
        b.setInteger(Int32(b.readableBytes - 12), at: Field.batchLength)
        let crc = b.withUnsafeReadableBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[Field.attributes...])) }
        b.setInteger(crc, at: Field.crc)
        return RecordBatch(b)
    }
}
