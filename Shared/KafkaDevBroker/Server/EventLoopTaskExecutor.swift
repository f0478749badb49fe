import NIOCore

/// Runs a connection's request tasks on its event loop instead of Swift's cooperative pool, so that the broker
/// keeps answering when an in-process caller (a test, a client library) blocks the pool's few threads.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    private let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute { job.runSynchronously(on: executor) }
    }
}
