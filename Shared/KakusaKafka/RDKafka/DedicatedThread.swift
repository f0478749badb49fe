#if canImport(FoundationEssentials)
import Dispatch
import Foundation
#else
import Foundation
#endif

/// A thread of its own for librdkafka calls that block (flush, commit, close, transactions, metadata),
/// so that they never hold one of the few threads of Swift's cooperative pool.
final class DedicatedThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var stopping = false
    private var finished = false
    private let name: String
    private var started = false

    init(name: String) {
        self.name = name
    }

    /// Runs `body` on the dedicated thread and returns its result to the awaiting task. Cancelling the task
    /// stops the wait (throwing `CancellationError`) but not the librdkafka call, which finishes on its own
    /// thread: a shutdown that gives up on a broker that does not answer is not held hostage by it.
    ///
    /// With `cancellable: false` (closing, releasing) the task waits for the call to finish even when
    /// cancelled: those calls are bounded by their own timeouts and must not be left half done.
    /// `giveUpAfter` bounds even a non-cancellable wait: a broker that is gone must not keep a process from exiting.
    func run<T: Sendable>(
        cancellable: Bool = true, giveUpAfter: Duration? = nil, _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        let slot = ContinuationSlot<T>()
        if let giveUpAfter {
            let seconds = Double(giveUpAfter.components.seconds) + Double(giveUpAfter.components.attoseconds) / 1e18
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
                slot.resume(with: .failure(KafkaError(code: .timeout, message: "gave up waiting after \(giveUpAfter)")))
            }
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                slot.set(continuation)
                let accepted = enqueue { slot.resume(with: Result { try body() }) }
                if !accepted { slot.resume(with: .failure(KafkaError(code: .closed, message: "the client is closed"))) }
            }
        } onCancel: {
            if cancellable { slot.resume(with: .failure(CancellationError())) }
        }
    }

    /// Runs `body` on the dedicated thread and waits for it from a thread that may block.
    func runSync<T>(_ body: @escaping () throws -> T) throws -> T {
        let done = NSCondition()
        var result: Result<T, any Error>?
        let accepted = enqueue {
            let value = Result { try body() }
            done.lock()
            result = value
            done.signal()
            done.unlock()
        }
        guard accepted else { throw KafkaError(code: .closed, message: "the client is closed") }
        done.lock()
        while result == nil { done.wait() }
        done.unlock()
        return try result!.get()
    }

    private func enqueue(_ job: @escaping () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { return false }
        if !started {
            started = true
            let thread = Thread { [self] in loop() }
            thread.name = name
            thread.start()
        }
        jobs.append(job)
        condition.signal()
        return true
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty && stopping {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()
            for job in batch { job() }
        }
    }

    /// Finishes the queued jobs, then ends the thread; with `wait`, returns once it has ended.
    func stop(wait: Bool = true) {
        condition.lock()
        stopping = true
        condition.broadcast()
        if started && wait {
            while !finished { condition.wait() }
        }
        condition.unlock()
    }
}

/// A continuation resumed exactly once, by whichever comes first: the job's result or a cancellation.
private final class ContinuationSlot<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, any Error>?
    private var early: Result<T, any Error>?

    func set(_ continuation: CheckedContinuation<T, any Error>) {
        lock.lock()
        if let early {
            lock.unlock()
            continuation.resume(with: early)
            return
        }
        self.continuation = continuation
        lock.unlock()
    }

    func resume(with result: Result<T, any Error>) {
        lock.lock()
        guard let continuation else {
            if early == nil { early = result }
            lock.unlock()
            return
        }
        self.continuation = nil
        early = result
        lock.unlock()
        continuation.resume(with: result)
    }
}
