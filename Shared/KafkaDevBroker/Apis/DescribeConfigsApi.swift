import Logging
import NIOConcurrencyHelpers
import NIOCore

/// DescribeConfigs v0-1 for topics (what they were created with, and the defaults of the keys this broker
/// acts on) and brokers (the few broker settings clients ask for).
enum DescribeConfigsApi {
    static let topicType: Int8 = 2
    static let brokerType: Int8 = 4

    static func handle(_ c: RequestContext, _ r: inout KafkaReader) throws -> ByteBuffer? {
        let resources = try r.array { r in (try r.int8(), try r.string(), try r.nullableArray { try $0.string() }) }
        if c.version >= 1 { _ = try r.bool() }
        let cluster = c.cluster
        var out = ByteBuffer()
        out.writeInteger(RequestContext.noThrottle)
        out.writeKafkaArray(resources) { out, res in
            var code = ErrorCode.none
            var message: String?
            var configs: [(name: String, value: String, isDefault: Bool)] = []
            switch res.0 {
            case topicType:
                if let config = cluster.lock.withLock({ cluster.topics[res.1]?.config }) {
                    configs = config.described
                } else {
                    code = .unknownTopicOrPartition
                    message = "Topic \(res.1) does not exist"
                }
            case brokerType:
                configs = [
                    ("message.max.bytes", "1048588", true), ("num.partitions", String(cluster.defaultPartitions), true),
                    ("transaction.max.timeout.ms", "900000", true), ("auto.create.topics.enable", "false", false),
                ]
            default:
                code = .invalidRequest
                message = "unsupported resource type \(res.0)"
            }
            if let keys = res.2 { configs = configs.filter { keys.contains($0.name) } }
            out.writeInteger(c.injectedError ?? code.rawValue)
            out.writeKafkaString(message)
            out.writeInteger(res.0)
            out.writeKafkaString(res.1)
            out.writeKafkaArray(configs) { out, entry in
                out.writeKafkaString(entry.name)
                out.writeKafkaString(entry.value)
                out.writeKafkaBool(false)
                if c.version == 0 {
                    out.writeKafkaBool(entry.isDefault)
                } else {
                    // DEFAULT_CONFIG (5), DYNAMIC_TOPIC_CONFIG (1), STATIC_BROKER_CONFIG (4).
                    out.writeInteger(Int8(entry.isDefault ? 5 : (res.0 == topicType ? 1 : 4)))
                }
                out.writeKafkaBool(false)
                if c.version >= 1 { out.writeArrayLength(0) }
            }
        }
        return out
    }
}
