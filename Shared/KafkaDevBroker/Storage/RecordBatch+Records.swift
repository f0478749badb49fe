import NIOCore

/// One record of a stored batch, decoded as far as the compactor needs: its offset delta, key and whether its
/// value is null (a tombstone), with its encoded bytes so that a survivor is copied unchanged.
struct StoredRecord {
    var offsetDelta: Int32
    var timestampDelta: Int64
    var key: ByteBuffer?
    var isTombstone: Bool
    /// The record as encoded, its length prefix included.
    var encoded: ByteBuffer
}

extension RecordBatch {
    struct UnreadableRecords: Error, CustomStringConvertible {
        let reason: String
        var description: String { reason }
    }

    /// Kafka's compression codec names, by attribute value.
    static let codecNames = ["none", "gzip", "snappy", "lz4", "zstd"]

    var codecName: String { compression < Self.codecNames.count ? Self.codecNames[compression] : "codec \(compression)" }

    /// Whether the compactor can read and rewrite its records: uncompressed or gzip (zlib). Snappy, lz4 and zstd
    /// batches are kept whole.
    var recordsReadable: Bool { compression == 0 || compression == 1 }

    /// For a control batch, whether its marker commits (true) or aborts (false); nil for a data batch or a key it
    /// does not know.
    var controlIsCommit: Bool? {
        guard isControl, let records = try? records(), let key = records.first?.key, key.readableBytes >= 4,
            let type = key.getInteger(at: key.readerIndex + 2, as: Int16.self)
        else { return nil }
        switch type {
        case 0: return false
        case 1: return true
        default: return nil
        }
    }

    /// The batch's records, inflated first when gzip.
    func records() throws(UnreadableRecords) -> [StoredRecord] {
        guard var section = bytes.getSlice(
            at: bytes.readerIndex + Self.headerSize, length: bytes.readableBytes - Self.headerSize)
        else { throw UnreadableRecords(reason: "a batch shorter than its header") }
        switch compression {
        case 0: break
        case 1:
            do { section = try Gzip.decompress(section) } catch {
                throw UnreadableRecords(reason: "gzip: \(error)")
            }
        default: throw UnreadableRecords(reason: "no \(codecName) codec in the devbroker")
        }
        var records: [StoredRecord] = []
        records.reserveCapacity(min(Int(max(recordCount, 0)), section.readableBytes))
        var reader = KafkaReader(section)
        do {
            for _ in 0..<max(recordCount, 0) {
                let start = reader.buffer.readerIndex
                let length = Int(try reader.varint())
                guard length >= 0, let body = reader.buffer.readSlice(length: length) else {
                    throw UnreadableRecords(reason: "a record longer than its batch")
                }
                let encoded = section.getSlice(at: start, length: reader.buffer.readerIndex - start)!
                var r = KafkaReader(body)
                _ = try r.int8()  // attributes
                let timestampDelta = try r.varlong()
                let offsetDelta = try r.varint()
                let keyLength = Int(try r.varint())
                var key: ByteBuffer?
                if keyLength >= 0 {
                    guard let k = r.buffer.readSlice(length: keyLength) else {
                        throw UnreadableRecords(reason: "a key longer than its record")
                    }
                    key = k
                }
                let valueLength = try r.varint()
                records.append(
                    StoredRecord(
                        offsetDelta: offsetDelta, timestampDelta: timestampDelta, key: key,
                        isTombstone: valueLength < 0, encoded: encoded))
            }
        } catch let error as UnreadableRecords {
            throw error
        } catch {
            throw UnreadableRecords(reason: "\(error)")
        }
        return records
    }

    /// This batch with only `kept` of its records, as Kafka's cleaner rewrites one: the same base offset, last
    /// offset delta, producer fields and codec, its length, record count, max timestamp and CRC recomputed. An
    /// empty result keeps the header alone (uncompressed), so the producer's last sequence survives.
    func rewritten(keeping kept: [StoredRecord]) throws(UnreadableRecords) -> RecordBatch {
        var section = ByteBuffer()
        for record in kept { section.writeImmutableBuffer(record.encoded) }
        var attributes = self.attributes
        if kept.isEmpty {
            attributes &= ~0x7
        } else if compression == 1 {
            do { section = try Gzip.compress(section) } catch { throw UnreadableRecords(reason: "gzip: \(error)") }
        }
        var out = ByteBufferAllocator().buffer(capacity: Self.headerSize + section.readableBytes)
        out.writeImmutableBuffer(bytes.getSlice(at: bytes.readerIndex, length: Field.recordCount)!)
        out.writeInteger(Int32(kept.count))
        out.writeBuffer(&section)
        out.setInteger(Int32(out.readableBytes - 12), at: Field.batchLength)
        out.setInteger(attributes, at: Field.attributes)
        // CreateTime (timestamp type 0): the max of the survivors; LogAppendTime keeps the broker's time.
        if attributes & 0x08 == 0, let latest = kept.map(\.timestampDelta).max(),
            let base = bytes.getInteger(at: bytes.readerIndex + Field.baseTimestamp, as: Int64.self)
        {
            out.setInteger(base + latest, at: Field.maxTimestamp)
        }
        let crc = out.withUnsafeReadableBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[Field.attributes...]))
        }
        out.setInteger(crc, at: Field.crc)
        return RecordBatch(out)
    }
}
