import Logging
import NIOConcurrencyHelpers
import NIOCore

/// ListOffsets v0-3: earliest (-2), latest (-1; the last stable offset under read_committed) or the first
/// offset at or after a timestamp.
enum ListOffsetsApi {
    static func handle(_ c: RequestContext, _ r: inout KafkaReader) throws -> ByteBuffer? {
        _ = try r.int32()
        let readCommitted = c.version >= 2 ? try r.int8() == 1 : false
        let topics = try r.array { r -> (String, [(Int32, Int64)]) in
            let name = try r.string()
            let parts = try r.array { r -> (Int32, Int64) in
                let p = try r.int32()
                let t = try r.int64()
                if c.version == 0 { _ = try r.int32() }
                return (p, t)
            }
            return (name, parts)
        }
        let cluster = c.cluster
        var out = ByteBuffer()
        if c.version >= 2 { out.writeInteger(RequestContext.noThrottle) }
        cluster.lock.withLock {
            out.writeKafkaArray(topics) { out, entry in
                out.writeKafkaString(entry.0)
                out.writeKafkaArray(entry.1) { out, p in
                    var error = ErrorCode.none
                    var offset: Int64 = -1
                    var timestamp: Int64 = -1
                    if let topic = cluster.topics[entry.0], p.0 >= 0, Int(p.0) < topic.partitions.count {
                        let log = topic.partitions[Int(p.0)]
                        if cluster.leaderLocked(partition: p.0) != c.brokerID {
                            error = .notLeaderOrFollower
                        } else {
                            switch p.1 {
                            case -1: offset = readCommitted ? log.lastStableOffset : log.highWatermark
                            case -2: offset = log.logStartOffset
                            default:
                                if let found = log.offset(forTimestamp: p.1),
                                    !readCommitted || found.offset < log.lastStableOffset
                                {
                                    (offset, timestamp) = found
                                }
                            }
                        }
                    } else {
                        error = .unknownTopicOrPartition
                    }
                    out.writeInteger(p.0)
                    out.writeInteger(c.injectedError ?? error.rawValue)
                    if c.version == 0 {
                        out.writeKafkaArray(offset >= 0 ? [offset] : []) { $0.writeInteger($1) }
                    } else {
                        out.writeInteger(timestamp)
                        out.writeInteger(offset)
                    }
                }
            }
        }
        return out
    }
}
