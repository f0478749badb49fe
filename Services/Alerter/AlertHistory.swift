import KakusaEvents
import Synchronization

/// The last `capacity` alerts this process published, newest last, for `GET /v1/alerts`.
///
/// Held in memory since start (not restored: the changelog keeps ids, not whole alerts; `kakusa.alerts` is the
/// durable record).
final class AlertHistory: Sendable {
    let capacity: Int
    private let ring = Mutex<[Alert]>([])

    init(capacity: Int = 1000) {
        self.capacity = capacity
    }

    func append(_ alerts: [Alert]) {
        guard !alerts.isEmpty else { return }
        ring.withLock { ring in
            ring.append(contentsOf: alerts)
            if ring.count > capacity { ring.removeFirst(ring.count - capacity) }
        }
    }

    /// Newest first, filtered by rule and subject when given.
    func recent(rule: String? = nil, subject: String? = nil, limit: Int = 100) -> [Alert] {
        ring.withLock { ring in
            Array(
                ring.reversed().lazy.filter {
                    (rule == nil || $0.rule == rule) && (subject == nil || $0.subject == subject)
                }
                .prefix(max(0, limit)))
        }
    }
}
