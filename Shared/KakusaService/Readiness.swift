import Synchronization

/// Named readiness checks (`kafka`, `state`, …), each ready or not with a reason, safe to update from any task.
///
/// A service registers its checks as not ready at build time and flips them when the dependency is there;
/// `/health/ready` answers 200 only when every check is ready, so a load balancer or compose waits for it.
/// With no checks registered the service counts as ready.
public final class Readiness: Sendable {
    /// One check's state.
    public struct Check: Sendable, Equatable, Codable {
        public var name: String
        public var ready: Bool
        public var reason: String

        public init(name: String, ready: Bool, reason: String) {
            self.name = name
            self.ready = ready
            self.reason = reason
        }
    }

    /// What `/health/ready` returns: the overall status and each check, sorted by name.
    public struct Report: Sendable, Equatable, Codable {
        /// `ready` or `not-ready`.
        public var status: String
        public var checks: [Check]

        public var isReady: Bool { status == "ready" }
    }

    private let checks = Mutex<[String: Check]>([:])

    public init() {}

    /// Creates or updates the check `name`.
    public func set(_ name: String, ready: Bool, reason: String) {
        checks.withLock { $0[name] = Check(name: name, ready: ready, reason: reason) }
    }

    /// Removes the check `name`, for a dependency that is no longer needed.
    public func remove(_ name: String) {
        _ = checks.withLock { $0.removeValue(forKey: name) }
    }

    /// The check `name`, if registered.
    public func check(_ name: String) -> Check? {
        checks.withLock { $0[name] }
    }

    /// True when every registered check is ready.
    public var isReady: Bool {
        checks.withLock { $0.values.allSatisfy(\.ready) }
    }

    /// A consistent snapshot of all checks.
    public func report() -> Report {
        let all = checks.withLock { Array($0.values) }.sorted { $0.name < $1.name }
        return Report(status: all.allSatisfy(\.ready) ? "ready" : "not-ready", checks: all)
    }
}
