import CRdKafka
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// An idempotent Kafka producer over librdkafka.
///
/// `send` returns once the broker acknowledged the record; `submit` enqueues many records and returns
/// a `PendingDeliveries` to await later, which keeps many batches in flight. A full local queue is
/// back-pressure: submitting waits and never drops. As a `Service`, `run()` keeps it until graceful
/// shutdown and then flushes and closes it.
public final class KafkaProducer: Service, @unchecked Sendable {
    let client: RDKafkaClient
    let logger: Logger
    let isTransactional: Bool
    private let poller: PollThread
    private let closed = Mutex(false)

    public init(configuration: KafkaProducerConfiguration, logger: Logger) throws {
        self.logger = logger
        self.isTransactional = configuration.transactionalID != nil
        self.client = try RDKafkaClient(kind: .producer, properties: configuration.properties, logger: logger)
        let handle = UnsafeHandle(pointer: client.handle)
        // Delivery reports are served here, off the cooperative pool.
        // `rd_kafka_yield` would only flag the calling thread; a yield of the main queue ends the wait at once.
        self.poller = PollThread(
            name: "rdkafka-producer-poll",
            wake: {
                let queue = rd_kafka_queue_get_main(handle.pointer)
                rd_kafka_queue_yield(queue)
                rd_kafka_queue_destroy(queue)
            }
        ) {
            _ = rd_kafka_poll(handle.pointer, 100)
        }
    }

    deinit {
        poller.stop()
    }

    /// Sends one record and returns once the broker acknowledged it; throws the broker's error otherwise.
    @discardableResult
    public func send(_ message: ProducerMessage) async throws -> DeliveryReport {
        let (_, last, failures) = try await submit([message]).tracker.wait()
        if let failure = failures.first { throw failure.error }
        guard let last else {
            throw KafkaError(code: .delivery, message: "no delivery report for a record to \(message.topic)")
        }
        return DeliveryReport(topic: message.topic, partition: last.partition, offset: last.offset)
    }

    /// Sends all records and returns once every one was acknowledged or failed.
    public func send(batch messages: some Sequence<ProducerMessage>) async throws -> BatchDeliveryResult {
        try await submit(Array(messages)).wait()
    }

    /// Enqueues the records (waiting while the local queue is full) and returns without waiting for the
    /// broker: await the result to know they are on Kafka.
    public func submit(_ messages: some Sequence<ProducerMessage>) async throws -> PendingDeliveries {
        // Generic calls from other modules are not specialised: the work happens in the array overload.
        try await submit(Array(messages))
    }

    /// Enqueues the records of an array; see `submit(_:)`.
    public func submit(_ messages: [ProducerMessage]) async throws -> PendingDeliveries {
        try checkUsable()
        var cachedTopic: (name: String, handle: OpaquePointer)?
        let handle: OpaquePointer = client.handle
        return try await enqueue(count: messages.count, topicName: { messages[$0].topic }) { from, opaque in
            var index = from
            while index < messages.count {
                let message = messages[index]
                let topic: OpaquePointer
                if let cachedTopic, cachedTopic.name == message.topic {
                    topic = cachedTopic.handle
                } else {
                    topic = try topicHandle(message.topic)
                    cachedTopic = (message.topic, topic)
                }
                let err = Self.produce(message, topic: topic, opaque: opaque, handle: handle)
                if err != RD_KAFKA_RESP_ERR_NO_ERROR { return (index, err) }
                index += 1
            }
            return (index, RD_KAFKA_RESP_ERR_NO_ERROR)
        }
    }

    /// Enqueues records from `produceRun`, which enqueues from an index until the end or an error and
    /// returns where it stopped. A full local queue is back-pressure: wait for room, never drop.
    func enqueue(
        count: Int, topicName: (Int) -> String,
        produceRun: (_ from: Int, _ opaque: UnsafeMutableRawPointer) throws -> (next: Int, error: rd_kafka_resp_err_t)
    ) async throws -> PendingDeliveries {
        let tracker = DeliveryTracker()
        tracker.retainForDelivery()
        var submitted = 0
        defer { tracker.seal(submitted: submitted) }
        var waited = 0
        while submitted < count {
            let (next, err) = try produceRun(submitted, tracker.opaque)
            submitted = next
            if err == RD_KAFKA_RESP_ERR_NO_ERROR { continue }
            guard err == RD_KAFKA_RESP_ERR__QUEUE_FULL else {
                throw KafkaError.rdKafka(err, context: "produce to \(topicName(next))")
            }
            // The poll thread drains delivery reports, which makes room.
            waited += 1
            if waited == 1 || waited % 1000 == 0 {
                logger.debug("producer queue full, waiting", metadata: ["topic": "\(topicName(next))"])
            }
            try await Task.sleep(for: .milliseconds(1))
        }
        return PendingDeliveries(tracker: tracker)
    }

    func topicHandle(_ name: String) throws -> OpaquePointer {
        guard let handle = client.topicHandle(name) else {
            throw KafkaError(code: .configuration, message: "cannot open topic \(name)")
        }
        return handle
    }

    /// Enqueues one record; the caller keeps the tracker's count. Never blocks.
    private static func produce(
        _ m: ProducerMessage, topic: OpaquePointer, opaque: UnsafeMutableRawPointer, handle: OpaquePointer
    ) -> rd_kafka_resp_err_t {
        var headers: OpaquePointer?
        if !m.headers.isEmpty {
            headers = rd_kafka_headers_new(m.headers.count)
            for h in m.headers {
                if let value = h.value {
                    value.withUnsafeBytes { _ = rd_kafka_header_add(headers, h.key, -1, $0.baseAddress, $0.count) }
                } else {
                    _ = rd_kafka_header_add(headers, h.key, -1, nil, 0)
                }
            }
        }
        return withBytes(m.key) { key in
            withBytes(m.value) { value in
                produce(
                    topic: topic, partition: m.partition ?? RD_KAFKA_PARTITION_UA, key: key, value: value,
                    headers: headers, opaque: opaque, handle: handle)
            }
        }
    }

    /// Enqueues one record given as raw memory (copied by librdkafka); a nil key or value is a null.
    /// Takes the headers on success; destroys them on failure.
    static func produce(
        topic: OpaquePointer, partition: Int32, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
        headers: OpaquePointer?, opaque: UnsafeMutableRawPointer, handle: OpaquePointer
    ) -> rd_kafka_resp_err_t {
        let err = withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 7) { vus in
            var n = 0
            func add(_ type: rd_kafka_vtype_t, _ fill: (inout rd_kafka_vu_t) -> Void) {
                var vu = rd_kafka_vu_t()
                vu.vtype = type
                fill(&vu)
                vus.initializeElement(at: n, to: vu)
                n += 1
            }
            add(RD_KAFKA_VTYPE_RKT) { $0.u.rkt = topic }
            add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
            add(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = opaque }
            if partition != RD_KAFKA_PARTITION_UA { add(RD_KAFKA_VTYPE_PARTITION) { $0.u.i32 = partition } }
            if let key { add(RD_KAFKA_VTYPE_KEY) { $0.u.mem = .init(ptr: Self.address(key), size: key.count) } }
            if let value {
                add(RD_KAFKA_VTYPE_VALUE) { $0.u.mem = .init(ptr: Self.address(value), size: value.count) }
            }
            if let headers { add(RD_KAFKA_VTYPE_HEADERS) { $0.u.headers = headers } }
            defer { vus.baseAddress!.deinitialize(count: n) }
            guard let error = rd_kafka_produceva(handle, vus.baseAddress, n) else {
                return RD_KAFKA_RESP_ERR_NO_ERROR
            }
            let code = rd_kafka_error_code(error)
            rd_kafka_error_destroy(error)
            return code
        }
        // On success librdkafka owns the headers; on failure they are still ours.
        if err != RD_KAFKA_RESP_ERR_NO_ERROR, let headers { rd_kafka_headers_destroy(headers) }
        return err
    }

    /// An empty buffer still gets a valid address, so that librdkafka writes an empty value, not a null one.
    @inline(__always)
    private static func address(_ buffer: UnsafeRawBufferPointer) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(mutating: buffer.baseAddress ?? UnsafeRawPointer(emptyByte))
    }

    /// Waits until every enqueued record is acknowledged (or failed); throws `.timeout` if some remain.
    public func flush(timeout: Duration = .seconds(30)) async throws {
        guard !client.isDestroyed else { return }
        let client = self.client
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let remaining = try await client.blocking.run(cancellable: false, giveUpAfter: timeout + .seconds(5)) {
            () -> Int32 in
            _ = rd_kafka_flush(client.handle, milliseconds)
            return rd_kafka_outq_len(client.handle)
        }
        if remaining > 0 {
            throw KafkaError(code: .timeout, message: "\(remaining) records still unacknowledged after \(timeout)")
        }
    }

    /// Flushes what is in flight, then releases librdkafka's handle. Safe to call more than once.
    public func close(timeout: Duration = .seconds(30)) async throws {
        guard closed.withLock({ c in defer { c = true }; return !c }) else { return }
        var flushError: (any Error)?
        do { try await flush(timeout: timeout) } catch { flushError = error }
        let client = self.client
        let poller = self.poller
        // Joining the poll thread waits out its current poll: done off the cooperative pool too.
        try await client.blocking.run(cancellable: false, giveUpAfter: .seconds(15)) {
            poller.stop()
            client.destroy()
        }
        logger.debug("producer closed")
        if let flushError { throw flushError }
    }

    /// Keeps the producer until graceful shutdown, then flushes and closes it.
    public func run() async throws {
        try? await gracefulShutdown()
        // Bounded so that a shutdown with the brokers gone still ends: unflushed records are reported, not awaited.
        try await close(timeout: .seconds(10))
    }

    /// Cluster metadata, or an error when no broker answers in time. A cheap readiness probe.
    public func metadata(timeout: Duration = .seconds(2)) async throws -> ClusterMetadata {
        try checkUsable()
        let client = self.client
        let ms = Int32(clamping: timeout.components.seconds * 1000)
        // Bounded wait: behind a transaction call that blocks while the brokers are away, a readiness probe must
        // still answer (unreachable) instead of waiting for that call and leaving /health/ready true.
        return try await client.blocking.run(giveUpAfter: timeout + .seconds(1)) {
            try client.metadata(timeoutMilliseconds: max(ms, 100))
        }
    }

    /// Records enqueued and not yet acknowledged.
    public var inFlight: Int { client.isDestroyed ? 0 : Int(rd_kafka_outq_len(client.handle)) }

    func checkUsable() throws {
        if closed.withLock({ $0 }) { throw KafkaError(code: .closed, message: "the producer is closed") }
        if let fatal = client.fatalError { throw fatal }
    }
}

/// The outcome of a batch: how many records the broker acknowledged and which ones failed.
public struct BatchDeliveryResult: Sendable {
    public struct Failure: Sendable {
        public var key: [UInt8]?
        public var error: KafkaError
    }

    public var delivered: Int
    public var failures: [Failure]

    /// Throws the first failure, if any.
    public func throwIfFailed() throws {
        if let first = failures.first {
            throw KafkaError(
                code: .delivery,
                message: "\(failures.count) of \(failures.count + delivered) records failed: \(first.error.message)",
                rdKafkaCode: first.error.rdKafkaCode, rdKafkaName: first.error.rdKafkaName)
        }
    }
}

/// Records that were enqueued; `wait()` returns when the broker has answered for all of them.
public struct PendingDeliveries: Sendable {
    let tracker: DeliveryTracker

    public func wait() async -> BatchDeliveryResult {
        let (delivered, _, failures) = await tracker.wait()
        return BatchDeliveryResult(delivered: delivered, failures: failures.map { .init(key: $0.key, error: $0.error) })
    }
}

/// Calls `body` with the bytes, or nil for a nil array.
@inline(__always)
private func withBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBytes { body($0) }
}

nonisolated(unsafe) private let emptyByte = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
