import Logging

/// Consumer groups (the classic protocol) and their committed offsets, transactional ones included.
public final class GroupCoordinator: @unchecked Sendable {
    let logger: Logger
    weak var cluster: Cluster?

    init(logger: Logger) { self.logger = logger }

    /// Makes a producer's pending transactional offsets durable (commit) or drops them (abort); called by the
    /// transaction coordinator when it writes the markers of `producerID`'s transaction.
    func completeTransaction(producerID: Int64, commit: Bool) {}
}
