import Synchronization

/// The state as of the last committed batch, for the query API (read from HTTP tasks while the loop works on its
/// own copy).
final class StateView: Sendable {
    private let current = Mutex(StateStore())

    /// Replaces the view (a copy-on-write copy: cheap).
    func publish(_ state: StateStore) {
        current.withLock { $0 = state }
    }

    /// Reads the view.
    func read<T: Sendable>(_ body: (StateStore) -> T) -> T {
        current.withLock { body($0) }
    }
}
