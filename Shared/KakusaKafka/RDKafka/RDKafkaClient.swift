import CRdKafka
import Foundation
import Logging
import Synchronization

/// Owns one `rd_kafka_t`: creates it from properties, routes its callbacks (logs, errors, delivery
/// reports, rebalances) into Swift, and destroys it exactly once. Every other type reaches librdkafka
/// through one of these.
final class RDKafkaClient: @unchecked Sendable {
    enum Kind: Sendable {
        case producer, consumer

        var rdKafkaType: rd_kafka_type_t { self == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER }
    }

    /// What the consumer side learns from rebalances.
    struct Assignment: Sendable {
        var partitions: Set<TopicPartition> = []
        var generation: UInt64 = 0
    }

    private struct State {
        var destroyed = false
        var fatal: KafkaError?
        var allBrokersDown = false
        var topics: [String: UnsafeHandle] = [:]
        var assignment = Assignment()
    }

    let kind: Kind
    let logger: Logger
    /// The librdkafka handle; valid until `destroy()`.
    private(set) var handle: OpaquePointer!
    /// For blocking librdkafka calls: never run them on the cooperative pool.
    let blocking: DedicatedThread
    private let state = Mutex(State())

    init(kind: Kind, properties: [String: String], logger: Logger) throws {
        self.kind = kind
        self.logger = logger
        self.blocking = DedicatedThread(name: "rdkafka-\(kind)-calls")

        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(code: .configuration, message: "rd_kafka_conf_new failed")
        }
        var errstr = [CChar](repeating: 0, count: 512)
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            if rd_kafka_conf_set(conf, name, value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw KafkaError(
                    code: .configuration,
                    message: "librdkafka property \(name): \(errstr.string)"
                        + " (set from KAFKA_\(name.uppercased().replacingOccurrences(of: ".", with: "_"))"
                        + " or the service's defaults)")
            }
        }
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(self).toOpaque())
        rd_kafka_conf_set_log_cb(conf, rdKafkaLogCallback)
        rd_kafka_conf_set_error_cb(conf, rdKafkaErrorCallback)
        switch kind {
        case .producer: rd_kafka_conf_set_dr_msg_cb(conf, rdKafkaDeliveryCallback)
        case .consumer: rd_kafka_conf_set_rebalance_cb(conf, rdKafkaRebalanceCallback)
        }
        guard let handle = rd_kafka_new(kind.rdKafkaType, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(code: .configuration, message: "rd_kafka_new: \(errstr.string)")
        }
        self.handle = handle
        if kind == .consumer { rd_kafka_poll_set_consumer(handle) }
    }

    deinit {
        if let handle, !state.withLock({ $0.destroyed }) {
            for topic in state.withLock({ $0.topics.values }) { rd_kafka_topic_destroy(topic.pointer) }
            rd_kafka_destroy(handle)
        }
        // Never wait here: a job may still be blocked on a broker that went away.
        blocking.stop(wait: false)
    }

    var isDestroyed: Bool { state.withLock { $0.destroyed } }

    /// The unrecoverable error librdkafka reported, if any: the client must be recreated.
    var fatalError: KafkaError? { state.withLock { $0.fatal } }

    /// False after librdkafka reported that no broker can be reached, true again once one answers.
    var brokersReachable: Bool { !state.withLock { $0.allBrokersDown } }

    func markBrokersReachable() { state.withLock { $0.allBrokersDown = false } }

    var assignment: Assignment { state.withLock { $0.assignment } }

    /// A cached topic handle, so that producing does not look the topic up by name for every record.
    func topicHandle(_ name: String) -> OpaquePointer? {
        if let existing = state.withLock({ $0.topics[name] }) { return existing.pointer }
        guard let created = rd_kafka_topic_new(handle, name, nil) else { return nil }
        let new = UnsafeHandle(pointer: created)
        let kept = state.withLock { s -> UnsafeHandle in
            if let raced = s.topics[name] { return raced }
            s.topics[name] = new
            return new
        }
        if kept.pointer != created { rd_kafka_topic_destroy(created) }
        return kept.pointer
    }

    /// Destroys the handle: call once, from a thread that may block, after closing.
    func destroy() {
        let topics = state.withLock { s -> [UnsafeHandle]? in
            guard !s.destroyed else { return nil }
            s.destroyed = true
            let t = Array(s.topics.values)
            s.topics = [:]
            return t
        }
        guard let topics, let handle else { return }
        for topic in topics { rd_kafka_topic_destroy(topic.pointer) }
        rd_kafka_destroy(handle)
    }

    /// Cluster metadata (brokers and topics), or an error when no broker answers within `timeout`.
    func metadata(timeoutMilliseconds: Int32) throws -> ClusterMetadata {
        var md: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(handle, 1, nil, &md, timeoutMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let md else {
            throw KafkaError.rdKafka(err, code: err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__TIMED_OUT ? .timeout : .broker,
                                     context: "metadata request", retriable: true)
        }
        defer { rd_kafka_metadata_destroy(md) }
        markBrokersReachable()
        var topics: [String: Int] = [:]
        for i in 0..<Int(md.pointee.topic_cnt) {
            let t = md.pointee.topics[i]
            guard t.err == RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
            topics[String(cString: t.topic)] = Int(t.partition_cnt)
        }
        return ClusterMetadata(brokerCount: Int(md.pointee.broker_cnt), topicPartitions: topics)
    }

    // MARK: callbacks, on librdkafka's threads or the polling thread

    fileprivate func log(level: Int32, facility: String, message: String) {
        let swiftLevel: Logger.Level
        switch level {
        case ...3: swiftLevel = .error
        case 4: swiftLevel = .warning
        case 5: swiftLevel = .notice
        case 6: swiftLevel = .info
        default: swiftLevel = .debug
        }
        logger.log(level: swiftLevel, "librdkafka", metadata: ["rdkafka.facility": "\(facility)", "rdkafka.message": "\(message)"])
    }

    fileprivate func error(_ err: rd_kafka_resp_err_t, reason: String) {
        if err == RD_KAFKA_RESP_ERR__FATAL {
            var buffer = [CChar](repeating: 0, count: 512)
            let original = rd_kafka_fatal_error(handle, &buffer, buffer.count)
            let fatal = KafkaError.rdKafka(original, code: .fatal, context: buffer.string)
            state.withLock { $0.fatal = fatal }
            logger.error("kafka fatal error", metadata: ["error": "\(fatal)"])
            return
        }
        if err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN { state.withLock { $0.allBrokersDown = true } }
        logger.warning(
            "kafka error",
            metadata: ["rdkafka.error": "\(String(cString: rd_kafka_err2name(err)))", "reason": "\(reason)"])
    }

    fileprivate func rebalance(
        _ err: rd_kafka_resp_err_t, partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
    ) {
        let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
        let changed = partitions.map(TopicPartitionList.read) ?? []
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            let result: String
            if cooperative {
                let error = rd_kafka_incremental_assign(handle, partitions)
                result = error.map { KafkaError.consuming($0, context: "incremental assign").description } ?? "ok"
            } else {
                let e = rd_kafka_assign(handle, partitions)
                result = e == RD_KAFKA_RESP_ERR_NO_ERROR ? "ok" : String(cString: rd_kafka_err2name(e))
            }
            state.withLock { s in
                if cooperative { s.assignment.partitions.formUnion(changed) } else { s.assignment.partitions = Set(changed) }
                s.assignment.generation &+= 1
            }
            markBrokersReachable()
            logger.info("partitions assigned", metadata: ["count": "\(changed.count)", "result": "\(result)"])
            logger.debug("partitions assigned", metadata: ["partitions": "\(changed.map(\.description).sorted())"])
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            // Mark them lost first, so no commit for a partition another member now owns can slip through.
            state.withLock { s in
                if cooperative { s.assignment.partitions.subtract(changed) } else { s.assignment.partitions = [] }
                s.assignment.generation &+= 1
            }
            if cooperative {
                if let error = rd_kafka_incremental_unassign(handle, partitions) {
                    logger.warning("incremental unassign failed", metadata: ["error": "\(KafkaError.consuming(error, context: "unassign"))"])
                }
            } else {
                rd_kafka_assign(handle, nil)
            }
            logger.info("partitions revoked", metadata: ["count": "\(changed.count)"])
            logger.debug("partitions revoked", metadata: ["partitions": "\(changed.map(\.description).sorted())"])
        default:
            state.withLock { s in
                s.assignment.partitions = []
                s.assignment.generation &+= 1
            }
            rd_kafka_assign(handle, nil)
            logger.warning("rebalance error", metadata: ["rdkafka.error": "\(String(cString: rd_kafka_err2name(err)))"])
        }
    }
}

/// What the cluster says about itself.
public struct ClusterMetadata: Sendable {
    public var brokerCount: Int
    /// Topic name → number of partitions.
    public var topicPartitions: [String: Int]
}

private func client(_ rk: OpaquePointer?) -> RDKafkaClient? {
    guard let rk, let opaque = rd_kafka_opaque(rk) else { return nil }
    return Unmanaged<RDKafkaClient>.fromOpaque(opaque).takeUnretainedValue()
}

private let rdKafkaLogCallback:
    @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = { rk, level, fac, buf in
        guard let client = client(rk) else { return }
        client.log(level: level, facility: fac.map { String(cString: $0) } ?? "", message: buf.map { String(cString: $0) } ?? "")
    }

private let rdKafkaErrorCallback:
    @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = { rk, err, reason, _ in
        client(rk)?.error(rd_kafka_resp_err_t(rawValue: err), reason: reason.map { String(cString: $0) } ?? "")
    }

private let rdKafkaDeliveryCallback:
    @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = { _, message, _ in
        guard let message, let opaque = message.pointee._private else { return }
        DeliveryTracker.from(opaque: opaque).record(message)
    }

private let rdKafkaRebalanceCallback:
    @convention(c) (OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?) -> Void = { rk, err, partitions, _ in
        client(rk)?.rebalance(err, partitions: partitions)
    }

extension Array where Element == CChar {
    /// The NUL-terminated text librdkafka wrote into this buffer.
    var string: String {
        withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

/// A librdkafka handle to hand to a polling thread; the client that owns it outlives that thread.
struct UnsafeHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}
