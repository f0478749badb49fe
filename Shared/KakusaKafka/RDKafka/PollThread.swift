import Foundation
import Synchronization

/// A dedicated thread that calls a librdkafka poll function in a loop until stopped, so callbacks
/// (delivery reports, errors, rebalances) are served without touching Swift's cooperative pool.
final class PollThread: @unchecked Sendable {
    private let stopping = Atomic<Bool>(false)
    private let finished = NSCondition()
    private var done = false
    private let poll: @Sendable () -> Void
    private let wake: @Sendable () -> Void

    /// - Parameter wake: makes a poll in progress return early (`rd_kafka_queue_yield`), so `stop` need not wait
    ///   out the poll's timeout. Called only while the loop still runs (the handle is alive then).
    init(name: String, wake: @escaping @Sendable () -> Void = {}, poll: @escaping @Sendable () -> Void) {
        self.poll = poll
        self.wake = wake
        let thread = Thread { [self] in loop() }
        thread.name = name
        thread.start()
    }

    private func loop() {
        while !stopping.load(ordering: .acquiring) { poll() }
        finished.lock()
        done = true
        finished.broadcast()
        finished.unlock()
    }

    /// Asks the loop to end and waits until it has.
    func stop() {
        finished.lock()
        let alreadyDone = done
        finished.unlock()
        if alreadyDone { return }
        stopping.store(true, ordering: .releasing)
        wake()
        finished.lock()
        while !done { finished.wait() }
        finished.unlock()
    }
}
