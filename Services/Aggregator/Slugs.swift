import KakusaEvents
import Synchronization

/// `Slug.make` remembered: the same few thousand company names come back with every round, and the Unicode
/// normalization behind a slug is one of the costliest steps per record.
enum Slugs {
    private static let memo = Mutex<[String: String]>([:])
    private static let limit = 200_000

    static func make(_ name: String) -> String {
        if let slug = memo.withLock({ $0[name] }) { return slug }
        let slug = Slug.make(name)
        memo.withLock { memo in
            if memo.count >= limit { memo.removeAll(keepingCapacity: true) }
            memo[name] = slug
        }
        return slug
    }
}
