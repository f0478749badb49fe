import NIOCore

@testable import KafkaDevBroker

/// Builds record batches v2 by hand, as a producer would, for raw-protocol tests.
enum BatchBuilder {
    static func batch(
        _ records: [(key: String?, value: String?)], producerID: Int64 = -1, epoch: Int16 = -1, sequence: Int32 = -1,
        transactional: Bool = false, timestamp: Int64 = 1_700_000_000_000, timestampStep: Int64 = 0
    ) -> ByteBuffer {
        var body = ByteBuffer()
        for (i, r) in records.enumerated() {
            var rec = ByteBuffer()
            rec.writeInteger(Int8(0))
            rec.writeVarlong(Int64(i) * timestampStep)
            rec.writeVarint(Int32(i))
            if let k = r.key { rec.writeVarint(Int32(k.utf8.count)); rec.writeString(k) } else { rec.writeVarint(-1) }
            if let v = r.value { rec.writeVarint(Int32(v.utf8.count)); rec.writeString(v) } else { rec.writeVarint(-1) }
            rec.writeVarint(0)
            body.writeVarint(Int32(rec.readableBytes))
            body.writeBuffer(&rec)
        }
        var b = ByteBuffer()
        b.writeInteger(Int64(0))
        b.writeInteger(Int32(0))
        b.writeInteger(Int32(-1))
        b.writeInteger(Int8(2))
        b.writeInteger(UInt32(0))
        b.writeInteger(Int16(transactional ? 0x10 : 0))
        b.writeInteger(Int32(records.count - 1))
        b.writeInteger(timestamp)
        b.writeInteger(timestamp + Int64(max(records.count - 1, 0)) * timestampStep)
        b.writeInteger(producerID)
        b.writeInteger(epoch)
        b.writeInteger(sequence)
        b.writeInteger(Int32(records.count))
        b.writeBuffer(&body)
        b.setInteger(Int32(b.readableBytes - 12), at: 8)
        let crc = b.withUnsafeReadableBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[21...])) }
        b.setInteger(crc, at: 17)
        return b
    }

    /// A Produce v7 request body for one partition.
    static func produce(topic: String, partition: Int32 = 0, batch: ByteBuffer, acks: Int16 = -1, transactionalID: String? = nil)
        -> (inout ByteBuffer) -> Void
    {
        { out in
            out.writeKafkaString(transactionalID)
            out.writeInteger(acks)
            out.writeInteger(Int32(5000))
            out.writeInteger(Int32(1))
            out.writeKafkaString(topic)
            out.writeInteger(Int32(1))
            out.writeInteger(partition)
            out.writeKafkaBytes(batch)
        }
    }

    /// Reads a Produce v7 response for one partition: its error code and base offset.
    static func produceResult(_ body: ByteBuffer) -> (error: Int16, baseOffset: Int64) {
        var b = body
        _ = b.readInteger(as: Int32.self)  // topics
        let n = Int(b.readInteger(as: Int16.self)!)
        b.moveReaderIndex(forwardBy: n)
        _ = b.readInteger(as: Int32.self)  // partitions
        _ = b.readInteger(as: Int32.self)  // index
        let error: Int16 = b.readInteger()!
        let base: Int64 = b.readInteger()!
        return (error, base)
    }
}
