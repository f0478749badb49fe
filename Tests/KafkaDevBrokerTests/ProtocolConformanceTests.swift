import Foundation
import NIOCore
import Testing

@testable import KafkaDevBroker

/// Answers whose shape Kafka's message definitions and broker fix, checked at the byte level.
@Suite struct ProtocolConformanceTests {
    /// A Fetch v11 body for one partition, read_committed.
    static func fetch(topic: String, offset: Int64) -> (inout ByteBuffer) -> Void {
        { out in
            out.writeInteger(Int32(-1)); out.writeInteger(Int32(0)); out.writeInteger(Int32(1))
            out.writeInteger(Int32(1 << 20)); out.writeInteger(Int8(1)); out.writeInteger(Int32(0)); out.writeInteger(Int32(-1))
            out.writeInteger(Int32(1)); out.writeKafkaString(topic); out.writeInteger(Int32(1))
            out.writeInteger(Int32(0)); out.writeInteger(Int32(-1)); out.writeInteger(offset); out.writeInteger(Int64(-1))
            out.writeInteger(Int32(1 << 20)); out.writeInteger(Int32(0)); out.writeKafkaString("")
        }
    }

    /// Kafka answers a failed partition with an empty record set (length 0), never a null one, which librdkafka
    /// refuses as a malformed response.
    @Test func aFetchPastTheEndIsOffsetOutOfRangeWithEmptyRecords() async throws {
        try await withDevBroker(topics: ["t": 1]) { broker in
            let client = try RawKafkaClient(broker.bootstrapServers)
            var body = try client.roundTrip(api: 1, version: 11, Self.fetch(topic: "t", offset: 42))
            body.moveReaderIndex(forwardBy: 4 + 2 + 4)  // throttle, error, session
            #expect(body.readInteger(as: Int32.self) == 1)
            _ = body.readInteger(as: Int16.self).map { body.moveReaderIndex(forwardBy: Int($0)) }
            #expect(body.readInteger(as: Int32.self) == 1)
            #expect(body.readInteger(as: Int32.self) == 0)
            #expect(body.readInteger(as: Int16.self) == ErrorCode.offsetOutOfRange.rawValue)
            body.moveReaderIndex(forwardBy: 8 + 8 + 8)  // high watermark, last stable offset, log start offset
            _ = body.readInteger(as: Int32.self)  // aborted transactions (null or empty)
            _ = body.readInteger(as: Int32.self)  // preferred read replica
            #expect(body.readInteger(as: Int32.self) == 0, "records of a failed partition are empty, not null")
        }
    }

    /// ListOffsets by time answers the first record whose timestamp reaches the target, with that record's own
    /// timestamp, even inside a batch (Kafka's segment search).
    @Test func listOffsetsByTimestampFindsTheFirstRecordAtOrAfterIt() async throws {
        try await withDevBroker(topics: ["t": 1]) { broker in
            let client = try RawKafkaClient(broker.bootstrapServers)
            let t: Int64 = 1_700_000_000_000
            let batch = BatchBuilder.batch([("a", "1"), ("b", "2"), ("c", "3")], timestamp: t, timestampStep: 10)
            #expect(BatchBuilder.produceResult(try client.roundTrip(api: 0, version: 7, BatchBuilder.produce(topic: "t", batch: batch))) == (0, 0))
            func lookup(_ target: Int64) throws -> (Int16, Int64, Int64) {
                var body = try client.roundTrip(api: 2, version: 1) { out in
                    out.writeInteger(Int32(-1)); out.writeInteger(Int32(1)); out.writeKafkaString("t")
                    out.writeInteger(Int32(1)); out.writeInteger(Int32(0)); out.writeInteger(target)
                }
                body.moveReaderIndex(forwardBy: 4 + 2 + 1 + 4 + 4)
                return (body.readInteger()!, body.readInteger()!, body.readInteger()!)
            }
            #expect(try lookup(t + 5) == (0, t + 10, 1))
            #expect(try lookup(t + 20) == (0, t + 20, 2))
            #expect(try lookup(t + 21) == (0, -1, -1))
            #expect(try lookup(-2) == (0, -1, 0))
            #expect(try lookup(-1) == (0, -1, 3))
        }
    }

    /// Kafka's LogValidator refuses a batch whose last offset delta contradicts its record count.
    @Test func aBatchWhoseOffsetsContradictItsCountIsInvalidRecord() async throws {
        try await withDevBroker(topics: ["t": 1]) { broker in
            let client = try RawKafkaClient(broker.bootstrapServers)
            var batch = BatchBuilder.batch([("a", "1"), ("b", "2")])
            batch.setInteger(Int32(-5), at: RecordBatch.Field.lastOffsetDelta)
            let crc = batch.withUnsafeReadableBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[21...])) }
            batch.setInteger(crc, at: RecordBatch.Field.crc)
            let body = try client.roundTrip(api: 0, version: 7, BatchBuilder.produce(topic: "t", batch: batch))
            #expect(BatchBuilder.produceResult(body).error == ErrorCode.invalidRecord.rawValue)
        }
    }
}

extension ProtocolConformanceTests {
    /// Kafka refuses a record without a key on a compacted topic (INVALID_RECORD) and keeps the others.
    @Test func aCompactedTopicRefusesRecordsWithoutAKey() async throws {
        try await withDevBroker(topics: ["state": 1], configs: ["state": ["cleanup.policy": "compact"]]) { broker in
            let client = try RawKafkaClient(broker.bootstrapServers)
            let keyless = BatchBuilder.batch([("k", "1"), (nil, "2")])
            let refused = try client.roundTrip(api: 0, version: 7, BatchBuilder.produce(topic: "state", batch: keyless))
            #expect(BatchBuilder.produceResult(refused).error == ErrorCode.invalidRecord.rawValue)
            let keyed = BatchBuilder.batch([("k", "1"), ("j", nil)])
            let accepted = try client.roundTrip(api: 0, version: 7, BatchBuilder.produce(topic: "state", batch: keyed))
            #expect(BatchBuilder.produceResult(accepted) == (0, 0))
        }
    }
}
