import Foundation

/// A bounded hand-over of record batches from the polling thread (which may block) to one async reader
/// (which must not).
final class MessageHandoff: @unchecked Sendable {
    struct Batch: Sendable {
        var messages: [KafkaMessage]
        /// The consumer's seek epoch when the batch was polled: stale after a rewind.
        var epoch: UInt64
        /// The assignment generation when polling began: after a rebalance, lost partitions are dropped.
        var generation: UInt64
    }

    private let condition = NSCondition()
    private var batches: [Batch] = []
    private var waiter: CheckedContinuation<Batch?, any Error>?
    private var finished = false
    private var failure: (any Error)?
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
    }

    /// Blocks while the buffer is full; returns false (dropping the batch) once finished.
    func put(_ batch: Batch) -> Bool {
        condition.lock()
        while batches.count >= capacity && !finished { condition.wait() }
        guard !finished else {
            condition.unlock()
            return false
        }
        if let waiter {
            self.waiter = nil
            condition.unlock()
            waiter.resume(returning: batch)
        } else {
            batches.append(batch)
            condition.unlock()
        }
        return true
    }

    /// The next batch, or nil after `finish()`. Cancelling the waiting task throws `CancellationError`
    /// and takes nothing from the buffer.
    func take() async throws -> Batch? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Batch?, any Error>) in
                condition.lock()
                if !batches.isEmpty {
                    let batch = batches.removeFirst()
                    condition.signal()
                    condition.unlock()
                    continuation.resume(returning: batch)
                } else if finished {
                    let failure = self.failure
                    condition.unlock()
                    if let failure { continuation.resume(throwing: failure) } else { continuation.resume(returning: nil) }
                } else if Task.isCancelled {
                    condition.unlock()
                    continuation.resume(throwing: CancellationError())
                } else {
                    precondition(waiter == nil, "a consumer's messages can be read by one task at a time")
                    waiter = continuation
                    condition.unlock()
                }
            }
        } onCancel: {
            condition.lock()
            let waiter = self.waiter
            self.waiter = nil
            condition.unlock()
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// The next buffered batch if there is one and it holds at most `maxCount` records; never waits. For a
    /// reader that takes everything already polled in one go.
    func takeBuffered(maxCount: Int) -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        guard let first = batches.first, first.messages.count <= maxCount else { return nil }
        batches.removeFirst()
        condition.signal()
        return first
    }

    /// Drops what is buffered (after a rewind those records will be read again).
    func clear() {
        condition.lock()
        batches.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    /// Ends the sequence: buffered records are dropped (uncommitted, so read again later); the reader
    /// gets nil, or `error`.
    func finish(error: (any Error)? = nil) {
        condition.lock()
        guard !finished else {
            condition.unlock()
            return
        }
        finished = true
        failure = error
        batches.removeAll()
        let waiter = self.waiter
        self.waiter = nil
        condition.broadcast()
        condition.unlock()
        if let error { waiter?.resume(throwing: error) } else { waiter?.resume(returning: nil) }
    }
}
