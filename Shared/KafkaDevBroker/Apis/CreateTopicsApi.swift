import Logging
import NIOConcurrencyHelpers
import NIOCore

/// CreateTopics v0-4 (v4: -1 for the broker's default partitions). Only the controller answers, as in Kafka.
enum CreateTopicsApi {
    struct Entry {
        var name: String
        var partitions: Int32
        var replication: Int16
        var assignments: Int
        var configs: [String: String]
    }

    static func handle(_ c: RequestContext, _ r: inout KafkaReader) throws -> ByteBuffer? {
        let entries = try r.array { r -> Entry in
            let name = try r.string()
            let partitions = try r.int32()
            let replication = try r.int16()
            let assignments = try r.array { r in (try r.int32(), try r.array { try $0.int32() }) }
            var configs: [String: String] = [:]
            for (k, v) in try r.array({ r in (try r.string(), try r.nullableString()) }) { configs[k] = v }
            return Entry(name: name, partitions: partitions, replication: replication, assignments: assignments.count,
                configs: configs)
        }
        _ = try r.int32()
        let validateOnly = c.version >= 1 ? try r.bool() : false
        let cluster = c.cluster
        let isController = cluster.controllerID == c.brokerID
        var out = ByteBuffer()
        if c.version >= 2 { out.writeInteger(RequestContext.noThrottle) }
        var seen: [String: Int] = [:]
        for e in entries { seen[e.name, default: 0] += 1 }
        out.writeKafkaArray(entries) { out, e in
            var code = ErrorCode.none
            var message: String?
            let brokers = cluster.brokers.count
            let partitions = e.partitions == -1 ? cluster.defaultPartitions : Int(e.partitions)
            if let injected = c.injectedError {
                code = ErrorCode(rawValue: injected) ?? .unknownServerError
            } else if !isController {
                code = .notController
            } else if seen[e.name, default: 0] > 1 {
                code = .invalidRequest
                message = "Create topics request from client contains multiple entries for \(e.name)"
            } else if e.assignments > 0 {
                code = .invalidReplicaAssignment
                message = "manual replica assignments are not supported by the devbroker"
            } else if partitions <= 0 || (e.partitions < -1) {
                code = .invalidPartitions
                message = "Number of partitions must be larger than 0."
            } else if e.replication != -1 && (e.replication <= 0 || Int(e.replication) > brokers) {
                code = .invalidReplicationFactor
                message = "Replication factor: \(e.replication) larger than available brokers: \(brokers)."
            } else if validateOnly {
                if cluster.lock.withLock({ cluster.topics[e.name] != nil }) {
                    code = .topicAlreadyExists
                    message = "Topic '\(e.name)' already exists."
                } else if let problem = Self.configProblem(e.configs) {
                    code = .invalidConfig
                    message = problem
                }
            } else {
                do throws(Cluster.CreateError) {
                    try cluster.createTopic(e.name, partitions: partitions, config: e.configs.compactMapValues { $0 })
                } catch let failure {
                    switch failure {
                    case .exists: (code, message) = (.topicAlreadyExists, "Topic '\(e.name)' already exists.")
                    case .invalidPartitions: (code, message) = (.invalidPartitions, "Number of partitions must be larger than 0.")
                    case .invalidName(let why): (code, message) = (.invalidTopicException, why)
                    case .invalidConfig(let why): (code, message) = (.invalidConfig, why)
                    }
                }
            }
            out.writeKafkaString(e.name)
            out.writeInteger(code.rawValue)
            if c.version >= 1 { out.writeKafkaString(message) }
        }
        return out
    }

    private static func configProblem(_ configs: [String: String?]) -> String? {
        do { _ = try TopicConfig(configs.compactMapValues { $0 }) } catch { return error.reason }
        return nil
    }
}
