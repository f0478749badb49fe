import NIOConcurrencyHelpers

/// A one-shot answer a parked request waits for (a JoinGroup waiting for the rebalance, a SyncGroup waiting for
/// the leader's assignment). The first `complete` wins; a wait whose task is cancelled (its connection closed)
/// ends with nil, and a later `complete` is ignored.
final class GroupWait<Value: Sendable>: @unchecked Sendable {
    private let lock = NIOLock()
    private var continuation: CheckedContinuation<Value?, Never>?
    private var result: Value??

    /// Resumes the waiter with `value` (nil: cancelled); only the first call counts.
    func complete(_ value: Value?) {
        let c = lock.withLock { () -> CheckedContinuation<Value?, Never>? in
            guard result == nil else { return nil }
            result = .some(value)
            defer { continuation = nil }
            return continuation
        }
        c?.resume(returning: value)
    }

    var isCompleted: Bool { lock.withLock { result != nil } }

    /// The value, once completed; nil when the waiting task was cancelled first.
    func value() async -> Value? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Value?, Never>) in
                let ready = lock.withLock { () -> Value?? in
                    if let result { return result }
                    continuation = c
                    return nil
                }
                if let ready { c.resume(returning: ready) }
            }
        } onCancel: {
            complete(nil)
        }
    }
}
