import CRdKafka
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// A consumer-group member over librdkafka.
///
/// Records arrive through `messages`, an `AsyncSequence` fed in batches by a polling thread of its
/// own. Offsets move only by `commit`, called after the work is done, and never for a partition that
/// a rebalance took away. As a `Service`, `run()` joins the group and polls until graceful shutdown,
/// then leaves the group and releases the handle.
public final class KafkaConsumer: Service, @unchecked Sendable {
    let client: RDKafkaClient
    let logger: Logger
    let configuration: KafkaConsumerConfiguration
    let handoff: MessageHandoff
    /// Bumped by a rewind: batches polled before it are dropped.
    let seekEpoch = Atomic<UInt64>(0)
    /// Held by each poll round and by a rewind, so that no round spans a rewind (see ``rewindToCommitted()``).
    let pollGate = Mutex(())
    private let started = Mutex(false)

    public init(configuration: KafkaConsumerConfiguration, logger: Logger) throws {
        guard !configuration.topics.isEmpty else {
            throw KafkaError(code: .configuration, message: "a consumer needs at least one topic")
        }
        self.configuration = configuration
        self.logger = logger
        self.handoff = MessageHandoff(capacity: configuration.bufferedBatches)
        self.client = try RDKafkaClient(kind: .consumer, properties: configuration.properties, logger: logger)
    }

    /// The records, in order per partition. Read by one task at a time; ends after shutdown.
    public var messages: KafkaConsumerMessages { KafkaConsumerMessages(consumer: self) }

    /// The partitions this member owns now.
    public var assignedPartitions: Set<TopicPartition> { client.assignment.partitions }

    /// Joins the group and polls until graceful shutdown (or cancellation); then leaves the group.
    public func run() async throws {
        guard started.withLock({ s in defer { s = true }; return !s }) else {
            throw KafkaError(code: .configuration, message: "a consumer runs once")
        }
        let topics = TopicPartitionList.make(configuration.topics.map { TopicPartition(topic: $0, partition: -1) })
        let err = rd_kafka_subscribe(client.handle, topics)
        rd_kafka_topic_partition_list_destroy(topics)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            handoff.finish(error: KafkaError.rdKafka(err, context: "subscribe to \(configuration.topics)"))
            throw KafkaError.rdKafka(err, context: "subscribe to \(configuration.topics)")
        }
        logger.info("consumer subscribed", metadata: ["group": "\(configuration.groupID)", "topics": "\(configuration.topics)"])
        let poller = ConsumerPoller(consumer: self)
        let thread = PollThread(name: "rdkafka-consumer-poll", wake: { poller.wake() }) { poller.pollOnce() }

        await withGracefulShutdownHandler {
            await poller.waitUntilFailedOrCancelled()
        } onGracefulShutdown: {
            poller.cancel()
        }
        handoff.finish(error: poller.failure)
        let client = self.client
        try await client.blocking.run(cancellable: false, giveUpAfter: .seconds(15)) {
            thread.stop()
            poller.releaseQueue()
            let err = rd_kafka_consumer_close(client.handle)
            client.destroy()
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdKafka(err, context: "consumer close") }
        }
        logger.info("consumer closed", metadata: ["group": "\(configuration.groupID)"])
        if let failure = poller.failure { throw failure }
    }

    /// Commits `offsets` (each the next offset to read) synchronously. Offsets of partitions this member
    /// no longer owns are not committed: another member has them now.
    public func commit(_ offsets: [TopicPartitionOffset]) async throws {
        let assigned = client.assignment.partitions
        let owned = offsets.filter { assigned.contains($0.topicPartition) }
        if owned.count < offsets.count {
            logger.info(
                "not committing offsets of partitions this member lost",
                metadata: ["offsets": "\(offsets.filter { !assigned.contains($0.topicPartition) }.map(\.description))"])
        }
        guard !owned.isEmpty else { return }
        let client = self.client
        try await client.blocking.run {
            let list = TopicPartitionList.make(owned)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_commit(client.handle, list, 0)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError.rdKafka(err, context: "commit \(owned.map(\.description))", retriable: true)
            }
            for (offset, perPartition) in TopicPartitionList.readOffsets(list) where perPartition != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError.rdKafka(perPartition, context: "commit \(offset)", retriable: true)
            }
        }
    }

    /// Sends a commit of `offsets` without waiting for its answer (owned partitions only).
    public func commitAsync(_ offsets: [TopicPartitionOffset]) {
        let assigned = client.assignment.partitions
        let owned = offsets.filter { assigned.contains($0.topicPartition) }
        guard !owned.isEmpty, !client.isDestroyed else { return }
        let list = TopicPartitionList.make(owned)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        _ = rd_kafka_commit(client.handle, list, 1)
    }

    /// Commits the offset after `message`.
    public func commit(_ message: KafkaMessage) async throws {
        try await commit([message.nextOffset])
    }

    /// The group's committed offsets for these partitions (nil where none is committed).
    public func committed(_ partitions: [TopicPartition], timeout: Duration = .seconds(10)) async throws -> [TopicPartition: Int64] {
        let client = self.client
        let ms = Int32(clamping: timeout.components.seconds * 1000)
        return try await client.blocking.run { try Self.committed(partitions, client: client, timeoutMilliseconds: ms) }
    }

    private static func committed(
        _ partitions: [TopicPartition], client: RDKafkaClient, timeoutMilliseconds: Int32
    ) throws -> [TopicPartition: Int64] {
        let list = TopicPartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_committed(client.handle, list, timeoutMilliseconds)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdKafka(err, context: "committed offsets", retriable: true) }
        var result: [TopicPartition: Int64] = [:]
        for (o, err) in TopicPartitionList.readOffsets(list) {
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError.rdKafka(err, context: "committed offset of \(o.topicPartition)", retriable: true)
            }
            if o.offset >= 0 { result[o.topicPartition] = o.offset }
        }
        return result
    }

    /// Moves every owned partition back to its committed offset and drops what was read past it: after
    /// an aborted transaction, the records of that transaction are read again. For the reading task (not concurrent
    /// with its own reads).
    ///
    /// All of it happens while no poll round runs (the gate): rebalances happen inside poll rounds, so the partitions
    /// sought are exactly the ones owned, and every round after it carries the new epoch and gets from librdkafka
    /// only records fetched after the seek. A round that spanned the seek would carry the old epoch, and the records
    /// it had fetched after the seek would be dropped as stale though librdkafka had moved past them.
    public func rewindToCommitted() async throws {
        let client = self.client
        let logger = self.logger
        let count = try await client.blocking.run { () throws -> Int in
            // Waits for the poll round under way: at most its 100 ms wait and the conversion of what it took.
            try self.pollGate.withLock { _ in
                defer {
                    self.seekEpoch.add(1, ordering: .sequentiallyConsistent)
                    self.handoff.clear()
                }
                let partitions = Array(client.assignment.partitions)
                guard !partitions.isEmpty else { return 0 }
                let committed = try Self.committed(partitions, client: client, timeoutMilliseconds: 10_000)
                let targets = partitions.map {
                    TopicPartitionOffset($0, offset: committed[$0] ?? Int64(RD_KAFKA_OFFSET_BEGINNING))
                }
                let list = TopicPartitionList.make(targets)
                defer { rd_kafka_topic_partition_list_destroy(list) }
                if let error = rd_kafka_seek_partitions(client.handle, list, 10_000) {
                    throw KafkaError.consuming(error, context: "seek to committed offsets")
                }
                // A partition not moved back would lose what the new epoch drops: the rewind fails instead.
                for (o, err) in TopicPartitionList.readOffsets(list) where err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    throw KafkaError.rdKafka(err, context: "seek \(o.topicPartition) to its committed offset", retriable: true)
                }
                return partitions.count
            }
        }
        logger.info("rewound to committed offsets", metadata: ["partitions": "\(count)"])
    }

    /// librdkafka's group metadata, for `sendOffsetsToTransaction`. The caller destroys it.
    func groupMetadata() -> OpaquePointer? {
        rd_kafka_consumer_group_metadata(client.handle)
    }
}

/// The records of a consumer, in batches under the hood and one at a time to the reader.
public struct KafkaConsumerMessages: AsyncSequence, Sendable {
    public typealias Element = KafkaMessage
    let consumer: KafkaConsumer

    public func makeAsyncIterator() -> Iterator { Iterator(consumer: consumer) }

    public struct Iterator: AsyncIteratorProtocol {
        let consumer: KafkaConsumer
        var batch: [KafkaMessage] = []
        var index = 0

        public mutating func next() async throws -> KafkaMessage? {
            while index >= batch.count {
                guard let next = try await nextBatch() else { return nil }
                batch = next
                index = 0
            }
            defer { index += 1 }
            return batch[index]
        }

        /// Everything already polled, at least one record and at most `maxBatchSize` (more only when one poll round
        /// held more); nil at the end. For readers that work in batches: the poll rounds buffered while the reader
        /// was busy come as one batch, so a reader that commits a transaction per batch catches up in one.
        public mutating func nextBatch() async throws -> [KafkaMessage]? {
            if index < batch.count {
                defer { batch = []; index = 0 }
                return Array(batch[index...])
            }
            while true {
                guard let taken = try await consumer.handoff.take() else { return nil }
                var messages = usable(taken)
                let limit = consumer.configuration.maxBatchSize
                while messages.count < limit, let more = consumer.handoff.takeBuffered(maxCount: limit - messages.count) {
                    messages += usable(more)
                }
                if !messages.isEmpty { return messages }
            }
        }

        /// The batch's records that are still to be read: none after a rewind, none of partitions lost since.
        private func usable(_ taken: MessageHandoff.Batch) -> [KafkaMessage] {
            guard taken.epoch == consumer.seekEpoch.load(ordering: .sequentiallyConsistent) else { return [] }
            let assignment = consumer.client.assignment
            var messages = taken.messages
            if taken.generation != assignment.generation {
                messages.removeAll { !assignment.partitions.contains($0.topicPartition) }
            }
            return messages
        }
    }
}

/// The consumer's polling loop: runs on its own thread, converts records and hands them over.
final class ConsumerPoller: @unchecked Sendable {
    private unowned let consumer: KafkaConsumer
    private var topicNames: [OpaquePointer: String] = [:]
    /// The topic of the previous record: batches come a partition at a time, so this spares most lookups.
    private var lastTopic: (handle: OpaquePointer, name: String)?
    private var raw: [UnsafeMutablePointer<rd_kafka_message_t>?] = []
    /// The consumer queue (all assigned partitions, rebalances and errors), released with the poller.
    private let queue: UnsafeHandle
    private let state = Mutex<(cancelled: Bool, failure: KafkaError?, waiter: CheckedContinuation<Void, Never>?)>((false, nil, nil))

    init(consumer: KafkaConsumer) {
        self.consumer = consumer
        self.queue = UnsafeHandle(pointer: rd_kafka_queue_get_consumer(consumer.client.handle))
    }

    /// Ends a poll in progress early (stopping need not wait out its 100 ms).
    func wake() {
        rd_kafka_queue_yield(queue.pointer)
    }

    /// Releases the consumer queue: after the polling thread stopped, before the handle is closed.
    func releaseQueue() {
        rd_kafka_queue_destroy(queue.pointer)
    }

    var failure: KafkaError? { state.withLock { $0.failure } }

    /// One round: waits up to 100 ms for a first record, then takes what else is already there (up to
    /// `maxBatchSize`) without waiting, converted and handed over as one batch. Both calls serve rebalances and
    /// errors. (A batch call with a timeout would wait for a full batch: latency at low rates.)
    func pollOnce() {
        // The hand-over, which may wait for the reader, stays outside the gate: a rewind never waits for it.
        let batch = consumer.pollGate.withLock { _ in poll() }
        if let fatal = consumer.client.fatalError { fail(fatal) }
        if let batch {
            consumer.client.markBrokersReachable()
            _ = consumer.handoff.put(batch)
        }
    }

    /// Waits up to 100 ms for a first record, then takes what else is already there; nil when no record came.
    private func poll() -> MessageHandoff.Batch? {
        let epoch = consumer.seekEpoch.load(ordering: .sequentiallyConsistent)
        let generation = consumer.client.assignment.generation
        let capacity = consumer.configuration.maxBatchSize
        if raw.count != capacity { raw = .init(repeating: nil, count: capacity) }
        guard let first = rd_kafka_consumer_poll(consumer.client.handle, 100) else { return nil }
        raw[0] = first
        let more = capacity > 1 ? raw.withUnsafeMutableBufferPointer {
            rd_kafka_consume_batch_queue(queue.pointer, 0, $0.baseAddress! + 1, capacity - 1)
        } : 0
        let count = 1 + max(more, 0)
        var messages: [KafkaMessage] = []
        messages.reserveCapacity(count)
        for i in 0..<count {
            guard let message = raw[i] else { continue }
            defer { rd_kafka_message_destroy(message) }
            let err = message.pointee.err
            if err == RD_KAFKA_RESP_ERR_NO_ERROR {
                messages.append(convert(message))
            } else if err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                report(err, message)
            }
        }
        return messages.isEmpty ? nil : .init(messages: messages, epoch: epoch, generation: generation)
    }

    private func convert(_ raw: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaMessage {
        let m = raw.pointee
        let topic: String
        if let rkt = m.rkt, let lastTopic, lastTopic.handle == rkt {
            topic = lastTopic.name
        } else if let rkt = m.rkt, let cached = topicNames[rkt] {
            topic = cached
            lastTopic = (rkt, cached)
        } else {
            topic = String(cString: rd_kafka_topic_name(m.rkt))
            if let rkt = m.rkt { topicNames[rkt] = topic }
        }
        let key = m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) }
        let value = m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) }
        var headers: [KafkaHeader] = []
        var hdrs: OpaquePointer?
        if rd_kafka_message_headers(raw, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs {
            var index = 0
            var name: UnsafePointer<CChar>?
            var val: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(hdrs, index, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                headers.append(KafkaHeader(
                    key: String(cString: name!), value: val.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }))
                index += 1
            }
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(raw, &timestampType)
        return KafkaMessage(
            topic: topic, partition: m.partition, offset: m.offset, key: key, value: value, headers: headers,
            timestampMilliseconds: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp)
    }

    private func report(_ err: rd_kafka_resp_err_t, _ raw: UnsafeMutablePointer<rd_kafka_message_t>) {
        let detail = rd_kafka_message_errstr(raw).map { String(cString: $0) } ?? ""
        consumer.logger.warning(
            "consumer error", metadata: ["rdkafka.error": "\(String(cString: rd_kafka_err2name(err)))", "reason": "\(detail)"])
    }

    private func fail(_ error: KafkaError) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard s.failure == nil else { return nil }
            s.failure = error
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    func cancel() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.cancelled = true
            defer { s.waiter = nil }
            return s.waiter
        }
        consumer.handoff.finish()
        waiter?.resume()
    }

    /// Returns after `cancel()` or a fatal error.
    func waitUntilFailedOrCancelled() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.cancelled || s.failure != nil { return true }
                    s.waiter = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            cancel()
        }
    }
}
