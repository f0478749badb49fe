import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Fetch v0-11: a long poll, answered as soon as `min_bytes` are readable or `max_wait_ms` has passed.
/// read_committed (v4+) reads up to the last stable offset and gets the aborted transactions of what it read;
/// control batches are returned as they are in the log, as Kafka does.
enum FetchApi {
    struct PartitionRequest {
        var partition: Int32
        var offset: Int64
        var maxBytes: Int32
    }

    static func handle(_ c: RequestContext, _ r: inout KafkaReader) async throws -> ByteBuffer? {
        _ = try r.int32()  // replica id
        let maxWait = try r.int32()
        let minBytes = try r.int32()
        let maxBytes = c.version >= 3 ? try r.int32() : Int32.max
        let readCommitted = c.version >= 4 ? try r.int8() == 1 : false
        if c.version >= 7 {
            _ = try r.int32()  // session id: no sessions are created, so every fetch is a full one
            _ = try r.int32()
        }
        let topics = try r.array { r -> (String, [PartitionRequest]) in
            let name = try r.string()
            let parts = try r.array { r -> PartitionRequest in
                let partition = try r.int32()
                if c.version >= 9 { _ = try r.int32() }
                let offset = try r.int64()
                if c.version >= 5 { _ = try r.int64() }
                return PartitionRequest(partition: partition, offset: offset, maxBytes: try r.int32())
            }
            return (name, parts)
        }
        if c.version >= 7 { _ = try r.array { r in (try r.string(), try r.array { try $0.int32() }) } }
        if c.version >= 11 { _ = try r.string() }

        let deadline = NIODeadline.now() + .milliseconds(Int64(max(maxWait, 0)))
        while true {
            let (body, bytes, hasError, generation) = read(c, topics, maxBytes: Int(maxBytes), readCommitted: readCommitted)
            if bytes >= Int(minBytes) || hasError || NIODeadline.now() >= deadline || Task.isCancelled {
                return body
            }
            await c.cluster.waitForChange(since: generation, until: deadline, on: c.eventLoop)
        }
    }

    private static func read(
        _ c: RequestContext, _ topics: [(String, [PartitionRequest])], maxBytes: Int, readCommitted: Bool
    ) -> (ByteBuffer, Int, Bool, UInt64) {
        let cluster = c.cluster
        var out = ByteBuffer()
        var total = 0
        var hasError = false
        if c.version >= 1 { out.writeInteger(RequestContext.noThrottle) }
        if c.version >= 7 {
            out.writeInteger(c.error(.none))
            out.writeInteger(Int32(0))
        }
        var generation: UInt64 = 0
        cluster.lock.withLock {
            generation = cluster.changeGeneration
            out.writeKafkaArray(topics) { out, entry in
                out.writeKafkaString(entry.0)
                out.writeKafkaArray(entry.1) { out, p in
                    var error = ErrorCode.none
                    var result = PartitionLog.ReadResult()
                    var hw: Int64 = -1
                    var lso: Int64 = -1
                    var start: Int64 = -1
                    if let injected = c.injectedError {
                        error = ErrorCode(rawValue: injected) ?? .unknownServerError
                    } else if let topic = cluster.topics[entry.0], p.partition >= 0,
                        Int(p.partition) < topic.partitions.count
                    {
                        let log = topic.partitions[Int(p.partition)]
                        if cluster.leaderLocked(partition: p.partition) != c.brokerID {
                            error = .notLeaderOrFollower
                        } else {
                            let budget = max(0, min(Int(p.maxBytes), maxBytes - total))
                            // KIP-74: the first batch of the response is returned whole, whatever the limits.
                            result = log.read(
                                from: p.offset, maxBytes: total == 0 ? max(budget, 1) : budget,
                                readCommitted: readCommitted)
                            if total > 0 && budget == 0 { result.records = ByteBuffer() }
                            error = result.error
                            hw = log.highWatermark
                            lso = log.lastStableOffset
                            start = log.logStartOffset
                        }
                    } else {
                        error = .unknownTopicOrPartition
                    }
                    if error != .none {
                        // Kafka answers a failed partition with empty records and unknown offsets, never null records.
                        hasError = true
                        (hw, lso, start) = (-1, -1, -1)
                    }
                    total += result.bytes
                    out.writeInteger(p.partition)
                    out.writeInteger(c.injectedError ?? error.rawValue)
                    out.writeInteger(hw)
                    if c.version >= 4 { out.writeInteger(lso) }
                    if c.version >= 5 { out.writeInteger(start) }
                    if c.version >= 4 {
                        if let aborted = result.aborted {
                            out.writeKafkaArray(aborted) { out, a in
                                out.writeInteger(a.producerID)
                                out.writeInteger(a.firstOffset)
                            }
                        } else {
                            out.writeArrayLength(nil)
                        }
                    }
                    if c.version >= 11 { out.writeInteger(Int32(-1)) }
                    out.writeKafkaBytes(result.records ?? ByteBuffer())
                }
            }
        }
        return (out, total, hasError, generation)
    }
}
