import CRdKafka
import Foundation
import Logging
import Synchronization

/// Reads a whole topic, every partition from the beginning to the end it has when reading starts, outside any
/// consumer group: how a service restores its state changelog before it reads input.
///
/// `KafkaConsumer` only subscribes (a group join takes seconds and never says "you are at the end"); this reader
/// assigns every partition itself and stops when librdkafka reports each partition's end (`PARTITION_EOF`).
public struct KafkaTopicReader: Sendable {
    public struct ReadError: Error, CustomStringConvertible {
        var code: String
        var topic: String
        var message: String
        public var description: String { "\(code) reading \(topic): \(message)" }
    }

    public var kafka: KafkaConfiguration
    public var isolationLevel: KafkaConsumerConfiguration.IsolationLevel = .readCommitted
    /// Gives up when the end of every partition is not reached within this time.
    public var timeout: Duration = .seconds(120)

    public init(
        kafka: KafkaConfiguration, isolationLevel: KafkaConsumerConfiguration.IsolationLevel = .readCommitted,
        timeout: Duration = .seconds(120)
    ) {
        self.kafka = kafka
        self.isolationLevel = isolationLevel
        self.timeout = timeout
    }

    /// Every record of `topic`, from the beginning to the end it had when reading started, in order per partition.
    public func readAll(topic: String, logger: Logger) async throws -> [KafkaMessage] {
        let collected = CollectedMessages()
        _ = try await read(topic: topic, logger: logger) { collected.append($0) }
        return collected.all
    }

    /// Every record of `topic` from the offsets in `start` (partition → offset; a partition not named is read from
    /// its beginning) to the end it had when reading started: the tail a service wrote since it noted `start`.
    public func readAll(topic: String, from start: [Int32: Int64], logger: Logger) async throws -> [KafkaMessage] {
        let collected = CollectedMessages()
        _ = try await read(topic: topic, from: start, logger: logger) { collected.append($0) }
        return collected.all
    }

    /// Calls `body` with each record's key, value and partition, in order per partition; returns the count read.
    /// `start` names where to begin per partition (default: every partition from its beginning).
    public func read(
        topic: String, from start: [Int32: Int64] = [:], logger: Logger,
        _ body: @escaping @Sendable (KafkaMessage) -> Void
    ) async throws -> Int {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int, any Error>) in
            let thread = Thread {
                do {
                    continuation.resume(returning: try readBlocking(topic: topic, start: start, body))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "kakusa-topic-reader"
            thread.start()
        }
    }

    private func readBlocking(topic: String, start: [Int32: Int64], _ body: (KafkaMessage) -> Void) throws -> Int {
        let fail = { (code: String, message: String) in ReadError(code: code, topic: topic, message: message) }
        // A consumer's properties (commits off, the user's pass-through), in a group of its own, told of each
        // partition's end.
        var properties = KafkaConsumerConfiguration(
            kafka: kafka, groupID: "kakusa-topic-reader-\(UUID().uuidString)", topics: [topic], isolationLevel: isolationLevel
        ).properties
        properties["enable.partition.eof"] = "true"
        // The reader stops at the end: a broker holding an empty fetch open for 500 ms (the default) only delays
        // the end-of-partition news that ends it (a restore of empty topics took 2 s instead of 0.2 s).
        if kafka.properties["fetch.wait.max.ms"] == nil { properties["fetch.wait.max.ms"] = "10" }

        let conf = rd_kafka_conf_new()
        var errstr = [CChar](repeating: 0, count: 512)
        for (name, value) in properties where rd_kafka_conf_set(conf, name, value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
            rd_kafka_conf_destroy(conf)
            throw fail("configuration", "\(name): \(Self.text(errstr))")
        }
        guard let handle = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errstr, errstr.count) else {
            throw fail("configuration", Self.text(errstr))
        }
        defer { rd_kafka_destroy(handle) }
        rd_kafka_poll_set_consumer(handle)

        let deadline = ContinuousClock.now + timeout
        let partitions = try partitionCount(handle: handle, topic: topic, deadline: deadline, fail: fail)
        let list = rd_kafka_topic_partition_list_new(Int32(partitions))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for partition in 0..<Int32(partitions) {
            rd_kafka_topic_partition_list_add(list, topic, partition).pointee.offset =
                start[partition] ?? Int64(RD_KAFKA_OFFSET_BEGINNING)
        }
        let assignError = rd_kafka_assign(handle, list)
        guard assignError == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw fail("assign", String(cString: rd_kafka_err2str(assignError)))
        }
        var atEnd: Set<Int32> = []
        var count = 0
        while atEnd.count < partitions {
            guard ContinuousClock.now < deadline else {
                throw fail("timeout", "end of \(partitions - atEnd.count) of \(partitions) partitions not reached")
            }
            guard let raw = rd_kafka_consumer_poll(handle, 100) else { continue }
            defer { rd_kafka_message_destroy(raw) }
            let m = raw.pointee
            switch m.err {
            case RD_KAFKA_RESP_ERR_NO_ERROR:
                count += 1
                body(KafkaMessage(
                    topic: topic, partition: m.partition, offset: m.offset,
                    key: m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) },
                    value: m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) },
                    headers: Self.headers(raw)))
            case RD_KAFKA_RESP_ERR__PARTITION_EOF:
                atEnd.insert(m.partition)
            default:
                // Transient (a broker briefly away): librdkafka retries; the deadline bounds it.
                continue
            }
        }
        rd_kafka_consumer_close(handle)
        return count
    }

    private func partitionCount(
        handle: OpaquePointer, topic: String, deadline: ContinuousClock.Instant, fail: (String, String) -> ReadError
    ) throws -> Int {
        guard let topicHandle = rd_kafka_topic_new(handle, topic, nil) else {
            throw fail("metadata", "cannot name the topic")
        }
        defer { rd_kafka_topic_destroy(topicHandle) }
        var lastError = "no answer"
        while ContinuousClock.now < deadline {
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let err = rd_kafka_metadata(handle, 0, topicHandle, &metadata, 5000)
            if err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata {
                defer { rd_kafka_metadata_destroy(metadata) }
                if metadata.pointee.topic_cnt > 0 {
                    let entry = metadata.pointee.topics[0]
                    if entry.err == RD_KAFKA_RESP_ERR_NO_ERROR && entry.partition_cnt > 0 {
                        return Int(entry.partition_cnt)
                    }
                    lastError = String(cString: rd_kafka_err2str(entry.err))
                }
            } else {
                lastError = String(cString: rd_kafka_err2str(err))
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw fail("metadata", lastError)
    }

    private static func headers(_ raw: UnsafeMutablePointer<rd_kafka_message_t>) -> [KafkaHeader] {
        var headers: [KafkaHeader] = []
        var list: OpaquePointer?
        guard rd_kafka_message_headers(raw, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
        var index = 0
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while rd_kafka_header_get_all(list, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR, let name {
            headers.append(
                KafkaHeader(key: String(cString: name), value: value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }))
            index += 1
        }
        return headers
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

}

/// Records handed from the reader's thread to the awaiting task.
private final class CollectedMessages: Sendable {
    private let messages = Mutex<[KafkaMessage]>([])
    func append(_ message: KafkaMessage) { messages.withLock { $0.append(message) } }
    var all: [KafkaMessage] { messages.withLock { $0 } }
}
