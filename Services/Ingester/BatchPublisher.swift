import KakusaKafka

/// Submits records in batches and keeps a bounded window of batches in flight: fast (librdkafka always has
/// work queued) and flat in memory (at most `window` batches wait for their acknowledgements).
final class BatchPublisher {
    let producer: KafkaProducer
    let batchSize: Int
    let window: Int
    /// Reused from batch to batch: after the first few batches, appending allocates nothing.
    private var batch: ProducerBatch
    private var inFlight: [PendingDeliveries] = []
    private var nextToWait = 0

    init(producer: KafkaProducer, batchSize: Int = 5000, window: Int = 8) {
        self.producer = producer
        self.batchSize = batchSize
        self.window = window
        batch = ProducerBatch(reservingRecords: batchSize, bytes: batchSize * 512)
    }

    /// Appends a record with `append`, then submits the batch when it is full.
    func add(_ append: (inout ProducerBatch) -> Void) async throws {
        append(&batch)
        if batch.count >= batchSize { try await submitBatch() }
    }

    /// Appends the records of another batch, then submits the batch when it is full.
    func add(contentsOf other: ProducerBatch) async throws {
        try await add { $0.append(contentsOf: other) }
    }

    func add(_ message: ProducerMessage) async throws {
        try await add { $0.append(message) }
    }

    /// Submits what is batched; waits for the oldest batch when the window is full.
    func submitBatch() async throws {
        guard !batch.isEmpty else { return }
        let pending = try await producer.submit(batch)
        batch.removeAll(keepingCapacity: true)
        inFlight.append(pending)
        while inFlight.count - nextToWait > window {
            try await waitOldest()
        }
    }

    /// Returns once every message added so far is acknowledged; throws the first delivery failure.
    func finish() async throws {
        try await submitBatch()
        while nextToWait < inFlight.count { try await waitOldest() }
        inFlight.removeAll()
        nextToWait = 0
    }

    private func waitOldest() async throws {
        let result = await inFlight[nextToWait].wait()
        nextToWait += 1
        if nextToWait > 64 {
            inFlight.removeFirst(nextToWait)
            nextToWait = 0
        }
        try result.throwIfFailed()
    }
}
