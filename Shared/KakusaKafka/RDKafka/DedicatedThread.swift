#if canImport(FoundationEssentials)
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

    /// Runs `body` on the dedicated thread and returns its result to the awaiting task.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let accepted = enqueue { continuation.resume(with: Result { try body() }) }
            if !accepted {
                continuation.resume(throwing: KafkaError(code: .closed, message: "the client is closed"))
            }
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

    /// Finishes the queued jobs, then ends the thread; returns once it has ended.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        if started {
            while !finished { condition.wait() }
        }
        condition.unlock()
    }
}
