import Foundation
import Synchronization

/// A dedicated thread that calls a librdkafka poll function in a loop until stopped, so callbacks
/// (delivery reports, errors, rebalances) are served without touching Swift's cooperative pool.
final class PollThread: @unchecked Sendable {
    private let stopping = Atomic<Bool>(false)
    private let finished = NSCondition()
    private var done = false
    private let poll: @Sendable () -> Void

    init(name: String, poll: @escaping @Sendable () -> Void) {
        self.poll = poll
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
        stopping.store(true, ordering: .releasing)
        finished.lock()
        while !done { finished.wait() }
        finished.unlock()
    }
}
