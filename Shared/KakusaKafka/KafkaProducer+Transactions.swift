import CRdKafka
import Logging

/// Transactions: records and consumed offsets committed as one unit, so a consume → produce loop
/// writes each output exactly once (Kafka's exactly-once semantics). Requires `transactionalID`.
extension KafkaProducer {
    /// Registers the transactional id with the coordinator and fences older instances with the same id.
    public func initTransactions(timeout: Duration = .seconds(30)) async throws {
        try await transactionCall("init transactions", timeout: timeout) { rd_kafka_init_transactions($0, $1) }
    }

    /// Starts a transaction: every record sent until commit or abort belongs to it.
    public func beginTransaction() throws {
        try checkTransactional()
        if let error = rd_kafka_begin_transaction(client.handle) {
            throw KafkaError.consuming(error, context: "begin transaction")
        }
    }

    /// Adds the consumer's next offsets to the transaction, so they commit with its records.
    public func sendOffsetsToTransaction(
        _ offsets: [TopicPartitionOffset], consumer: KafkaConsumer, timeout: Duration = .seconds(30)
    ) async throws {
        guard !offsets.isEmpty else { return }
        try await transactionCall("send offsets to transaction", timeout: timeout) { handle, ms in
            guard let metadata = consumer.groupMetadata() else {
                throw KafkaError(code: .broker, message: "the consumer has no group metadata (is it running?)")
            }
            defer { rd_kafka_consumer_group_metadata_destroy(metadata) }
            let list = TopicPartitionList.make(offsets)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            return rd_kafka_send_offsets_to_transaction(handle, list, metadata, ms)
        }
    }

    /// Flushes the transaction's records and commits them with its offsets.
    public func commitTransaction(timeout: Duration = .seconds(30)) async throws {
        try await transactionCall("commit transaction", timeout: timeout) { rd_kafka_commit_transaction($0, $1) }
    }

    /// Aborts the transaction: its records stay invisible to `read_committed` readers.
    public func abortTransaction(timeout: Duration = .seconds(30)) async throws {
        try await transactionCall("abort transaction", timeout: timeout) { rd_kafka_abort_transaction($0, $1) }
    }

    /// Runs `body` (which sends records) in a transaction that also commits `offsets()` for `consumer`.
    /// On any failure the transaction is aborted and the error rethrown (`.transactionAborted` when the
    /// broker asked for the abort): the caller rewinds the consumer and tries again.
    public func withTransaction<T: Sendable>(
        consumer: KafkaConsumer?, offsets: @Sendable () -> [TopicPartitionOffset],
        _ body: () async throws -> T
    ) async throws -> T {
        try beginTransaction()
        do {
            let result = try await body()
            let offsets = consumer == nil ? [] : offsets()
            if let consumer { try await sendOffsetsToTransaction(offsets, consumer: consumer) }
            // The offsets commit with the records or not at all: a plain commit beside them could land between a
            // later transaction's offsets and its marker, and move the group's position back.
            try await commitTransaction()
            return result
        } catch let error as KafkaError where error.code == .fatal {
            throw error
        } catch {
            do {
                try await abortTransaction()
            } catch let abortError {
                logger.error("abort transaction failed", metadata: ["error": "\(abortError)"])
                throw abortError
            }
            throw error
        }
    }

    private func checkTransactional() throws {
        try checkUsable()
        guard isTransactional else {
            throw KafkaError(code: .configuration, message: "transactions need a producer with a transactionalID")
        }
    }

    /// Runs a blocking transaction call on the client's own thread; retries what librdkafka calls
    /// retriable, maps the rest to a `KafkaError` (`.transactionAborted` when it requires an abort).
    private func transactionCall(
        _ name: String, timeout: Duration,
        _ call: @escaping @Sendable (OpaquePointer, Int32) throws -> OpaquePointer?
    ) async throws {
        try checkTransactional()
        let handle = UnsafeHandle(pointer: client.handle)
        // Retries share one deadline: a broker that is gone costs `timeout`, not a multiple of it.
        let deadline = ContinuousClock.now + timeout
        while true {
            let remaining = deadline - ContinuousClock.now
            let ms = Int32(clamping: max(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000, 100))
            let error = try await client.blocking.run { () -> KafkaError? in
                try call(handle.pointer, ms).map { KafkaError.consuming($0, context: name) }
            }
            guard let error else { return }
            if error.isRetriable && error.code == .broker && ContinuousClock.now < deadline {
                logger.warning("retrying transaction call", metadata: ["call": "\(name)", "error": "\(error)"])
                continue
            }
            throw error
        }
    }
}
