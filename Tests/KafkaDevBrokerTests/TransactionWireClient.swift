import Foundation
@testable import KafkaDevBroker
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tiny blocking Kafka client on one socket, for the transaction and idempotence tests: it speaks the classic
/// (non-flexible) versions of the few APIs they drive byte by byte, so a test controls every field and retry.
final class TransactionWireClient {
    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    private let fd: Int32
    private var correlation: Int32 = 0

    /// Connects to `host:port`; reads give up after `timeout` seconds, so a silent broker fails the test.
    init(_ address: String, timeout: Int = 15) throws {
        let parts = address.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else { throw Failed(description: "bad address \(address)") }
        #if canImport(Glibc)
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failed(description: "socket() failed") }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        inet_pton(AF_INET, String(parts[0]), &addr.sin_addr)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            close(fd)
            throw Failed(description: "connect to \(address) failed")
        }
    }

    /// The client to broker `id` of `broker`.
    convenience init(_ broker: DevBroker, id: Int32 = 1) throws {
        guard let b = broker.cluster.brokers.first(where: { $0.id == id }) else {
            throw Failed(description: "no broker \(id)")
        }
        try self.init("\(b.host):\(b.port)")
    }

    deinit { close(fd) }

    /// Sends one request (header v1) and returns the response body, after the correlation id.
    func request(api: Int16, version: Int16, _ body: (inout ByteBuffer) -> Void) throws -> KafkaReader {
        correlation += 1
        var frame = ByteBuffer()
        frame.writeInteger(Int32(0))
        frame.writeInteger(api)
        frame.writeInteger(version)
        frame.writeInteger(correlation)
        frame.writeKafkaString("txn-wire-test")
        body(&frame)
        frame.setInteger(Int32(frame.readableBytes - 4), at: 0)
        let bytes = Array(frame.readableBytesView)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw Failed(description: "send failed") }
            sent += n
        }
        var length = ByteBuffer(bytes: try receive(4))
        let size = Int(length.readInteger(as: Int32.self)!)
        var response = KafkaReader(ByteBuffer(bytes: try receive(size)))
        let id = try response.int32()
        guard id == correlation else { throw Failed(description: "correlation \(id), expected \(correlation)") }
        return response
    }

    private func receive(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = out[got...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw Failed(description: "connection closed or timed out after \(got) of \(count) bytes") }
            got += n
        }
        return out
    }

    // MARK: APIs

    struct ProducerIDAndEpoch: Equatable {
        var error: Int16
        var producerID: Int64
        var epoch: Int16
    }

    func initProducerID(_ transactionalID: String?, timeout: Int32 = 60_000, version: Int16 = 1) throws
        -> ProducerIDAndEpoch
    {
        var r = try request(api: 22, version: version) {
            $0.writeKafkaString(transactionalID)
            $0.writeInteger(timeout)
        }
        _ = try r.int32()
        return ProducerIDAndEpoch(error: try r.int16(), producerID: try r.int64(), epoch: try r.int16())
    }

    /// AddPartitionsToTxn v0: each partition's error code.
    func addPartitions(_ transactionalID: String, _ p: ProducerIDAndEpoch, _ topics: [(String, [Int32])]) throws
        -> [String: [Int32: Int16]]
    {
        var r = try request(api: 24, version: 0) {
            $0.writeKafkaString(transactionalID)
            $0.writeInteger(p.producerID)
            $0.writeInteger(p.epoch)
            $0.writeKafkaArray(topics) { out, t in
                out.writeKafkaString(t.0)
                out.writeKafkaArray(t.1) { $0.writeInteger($1) }
            }
        }
        _ = try r.int32()
        var out: [String: [Int32: Int16]] = [:]
        for (topic, results) in try r.array({ r in (try r.string(), try r.array { r in (try r.int32(), try r.int16()) }) }) {
            for (partition, error) in results { out[topic, default: [:]][partition] = error }
        }
        return out
    }

    func addOffsets(_ transactionalID: String, _ p: ProducerIDAndEpoch, group: String) throws -> Int16 {
        var r = try request(api: 25, version: 0) {
            $0.writeKafkaString(transactionalID)
            $0.writeInteger(p.producerID)
            $0.writeInteger(p.epoch)
            $0.writeKafkaString(group)
        }
        _ = try r.int32()
        return try r.int16()
    }

    func endTxn(_ transactionalID: String, _ p: ProducerIDAndEpoch, commit: Bool, version: Int16 = 1) throws -> Int16 {
        var r = try request(api: 26, version: version) {
            $0.writeKafkaString(transactionalID)
            $0.writeInteger(p.producerID)
            $0.writeInteger(p.epoch)
            $0.writeKafkaBool(commit)
        }
        _ = try r.int32()
        return try r.int16()
    }

    /// TxnOffsetCommit v0 (aiokafka's: no generation or member) of one partition's offset: its error code.
    func txnOffsetCommit(_ transactionalID: String, _ p: ProducerIDAndEpoch, group: String, _ topic: String,
        _ partition: Int32, offset: Int64) throws -> Int16
    {
        var r = try request(api: 28, version: 0) {
            $0.writeKafkaString(transactionalID)
            $0.writeKafkaString(group)
            $0.writeInteger(p.producerID)
            $0.writeInteger(p.epoch)
            $0.writeArrayLength(1)
            $0.writeKafkaString(topic)
            $0.writeArrayLength(1)
            $0.writeInteger(partition)
            $0.writeInteger(offset)
            $0.writeKafkaString(nil)
        }
        _ = try r.int32()
        _ = try r.int32()
        _ = try r.string()
        _ = try r.int32()
        _ = try r.int32()
        return try r.int16()
    }

    /// OffsetFetch v1 of one partition: the group's committed offset, -1 for none.
    func committedOffset(group: String, _ topic: String, _ partition: Int32) throws -> Int64 {
        var r = try request(api: 9, version: 1) {
            $0.writeKafkaString(group)
            $0.writeArrayLength(1)
            $0.writeKafkaString(topic)
            $0.writeArrayLength(1)
            $0.writeInteger(partition)
        }
        _ = try r.int32()
        _ = try r.string()
        _ = try r.int32()
        _ = try r.int32()
        let offset = try r.int64()
        _ = try r.nullableString()
        let error = try r.int16()
        guard error == 0 else { throw Failed(description: "OffsetFetch error \(error)") }
        return offset
    }

    /// Produce v7 (acks=all) of one batch to one partition: its error code and base offset.
    func produce(_ topic: String, _ partition: Int32, _ batch: ByteBuffer, transactionalID: String? = nil) throws
        -> (error: Int16, baseOffset: Int64)
    {
        var r = try request(api: 0, version: 7) {
            $0.writeKafkaString(transactionalID)
            $0.writeInteger(Int16(-1))
            $0.writeInteger(Int32(10_000))
            $0.writeArrayLength(1)
            $0.writeKafkaString(topic)
            $0.writeArrayLength(1)
            $0.writeInteger(partition)
            $0.writeKafkaBytes(batch)
        }
        _ = try r.int32()  // topics
        _ = try r.string()
        _ = try r.int32()  // partitions
        _ = try r.int32()
        let error = try r.int16()
        return (error, try r.int64())
    }

    /// ListOffsets v2 latest: the high watermark, or the last stable offset under read_committed.
    func latestOffset(_ topic: String, _ partition: Int32, readCommitted: Bool) throws -> Int64 {
        var r = try request(api: 2, version: 2) {
            $0.writeInteger(Int32(-1))
            $0.writeInteger(Int8(readCommitted ? 1 : 0))
            $0.writeArrayLength(1)
            $0.writeKafkaString(topic)
            $0.writeArrayLength(1)
            $0.writeInteger(partition)
            $0.writeInteger(Int64(-1))
        }
        _ = try r.int32()
        _ = try r.int32()
        _ = try r.string()
        _ = try r.int32()
        _ = try r.int32()
        let error = try r.int16()
        guard error == 0 else { throw Failed(description: "ListOffsets error \(error)") }
        _ = try r.int64()
        return try r.int64()
    }

    struct FetchResult {
        var error: Int16
        var highWatermark: Int64
        var lastStableOffset: Int64
        var aborted: [(producerID: Int64, firstOffset: Int64)]?
        var batches: [RecordBatch]
        /// Data records (control batches left out), in offset order.
        var dataRecordCount: Int { batches.filter { !$0.isControl }.reduce(0) { $0 + Int($1.recordCount) } }
    }

    /// Fetch v4 of one partition from `offset`, without waiting.
    func fetch(_ topic: String, _ partition: Int32, from offset: Int64, readCommitted: Bool) throws -> FetchResult {
        var r = try request(api: 1, version: 4) {
            $0.writeInteger(Int32(-1))
            $0.writeInteger(Int32(0))
            $0.writeInteger(Int32(0))
            $0.writeInteger(Int32(10_000_000))
            $0.writeInteger(Int8(readCommitted ? 1 : 0))
            $0.writeArrayLength(1)
            $0.writeKafkaString(topic)
            $0.writeArrayLength(1)
            $0.writeInteger(partition)
            $0.writeInteger(offset)
            $0.writeInteger(Int32(10_000_000))
        }
        _ = try r.int32()
        _ = try r.int32()
        _ = try r.string()
        _ = try r.int32()
        _ = try r.int32()
        let error = try r.int16()
        let hw = try r.int64()
        let lso = try r.int64()
        let aborted = try r.nullableArray { r in (producerID: try r.int64(), firstOffset: try r.int64()) }
        let records = try r.bytes()
        let batches = records.readableBytes == 0 ? [] : try RecordBatch.split(records)
        return FetchResult(error: error, highWatermark: hw, lastStableOffset: lso, aborted: aborted, batches: batches)
    }

    // MARK: Batches

    /// A record batch v2 as a producer builds it: `count` records keyed `prefix-i`, CRC-32C set.
    static func batch(
        producerID: Int64, epoch: Int16, sequence: Int32, count: Int = 1, transactional: Bool = false,
        prefix: String = "k"
    ) -> ByteBuffer {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var records = ByteBuffer()
        for i in 0..<count {
            var record = ByteBuffer()
            record.writeInteger(Int8(0))
            record.writeVarlong(0)
            record.writeVarint(Int32(i))
            let key = "\(prefix)-\(i)"
            record.writeVarint(Int32(key.utf8.count))
            record.writeString(key)
            let value = "value-\(i)"
            record.writeVarint(Int32(value.utf8.count))
            record.writeString(value)
            record.writeVarint(0)
            records.writeVarint(Int32(record.readableBytes))
            records.writeBuffer(&record)
        }
        var b = ByteBuffer()
        b.writeInteger(Int64(0))
        b.writeInteger(Int32(0))
        b.writeInteger(Int32(-1))
        b.writeInteger(Int8(2))
        b.writeInteger(UInt32(0))
        b.writeInteger(Int16(transactional ? 0x10 : 0))
        b.writeInteger(Int32(count - 1))
        b.writeInteger(now)
        b.writeInteger(now)
        b.writeInteger(producerID)
        b.writeInteger(epoch)
        b.writeInteger(sequence)
        b.writeInteger(Int32(count))
        b.writeBuffer(&records)
        b.setInteger(Int32(b.readableBytes - 12), at: 8)
        let crc = b.withUnsafeReadableBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[21...])) }
        b.setInteger(crc, at: 17)
        return b
    }
}
