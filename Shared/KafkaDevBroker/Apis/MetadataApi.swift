import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Metadata v0-4: the live brokers, the controller (admin clients send CreateTopics there) and each topic's
/// partition leaders. Topics are never created by a Metadata request (`auto.create.topics.enable=false`).
enum MetadataApi {
    static func handle(_ c: RequestContext, _ r: inout KafkaReader) throws -> ByteBuffer? {
        let requested = try r.nullableArray { try $0.string() }
        if c.version >= 4 { _ = try r.bool() }
        // v0: an empty list means every topic; v1+: null means every topic and an empty list none.
        let all = requested == nil || (c.version == 0 && requested!.isEmpty)
        let cluster = c.cluster
        var out = ByteBuffer()
        if c.version >= 3 { out.writeInteger(RequestContext.noThrottle) }
        cluster.lock.withLock {
            let live = cluster.brokersLocked.filter(\.up)
            out.writeKafkaArray(live) { out, b in
                out.writeInteger(b.id)
                out.writeKafkaString(b.host)
                out.writeInteger(Int32(b.port))
                if c.version >= 1 { out.writeKafkaString(nil) }
            }
            if c.version >= 2 { out.writeKafkaString(cluster.clusterID) }
            // The controller must be a broker of this response (librdkafka looks it up among them).
            if c.version >= 1 { out.writeInteger(live.first?.id ?? -1) }
            let names = all ? cluster.topics.keys.sorted() : requested!
            out.writeKafkaArray(names) { out, name in
                guard let topic = cluster.topics[name] else {
                    out.writeInteger(c.error(.unknownTopicOrPartition))
                    out.writeKafkaString(name)
                    if c.version >= 1 { out.writeKafkaBool(false) }
                    out.writeArrayLength(0)
                    return
                }
                out.writeInteger(c.error(.none))
                out.writeKafkaString(name)
                if c.version >= 1 { out.writeKafkaBool(false) }
                out.writeKafkaArray(topic.partitions) { out, log in
                    let leader = cluster.leaderLocked(partition: log.partition)
                    out.writeInteger(leader == nil ? ErrorCode.leaderNotAvailable.rawValue : ErrorCode.none.rawValue)
                    out.writeInteger(log.partition)
                    out.writeInteger(leader ?? -1)
                    let replicas = leader.map { [$0] } ?? []
                    out.writeKafkaArray(replicas) { $0.writeInteger($1) }
                    out.writeKafkaArray(replicas) { $0.writeInteger($1) }
                }
            }
        }
        return out
    }
}
