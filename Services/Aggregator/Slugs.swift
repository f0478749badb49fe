import KakusaEvents
import Synchronization

/// `Slug.make` remembered for names beyond ASCII: the same few thousand company names come back with every round,
/// and the Unicode normalization behind their slugs is one of the costliest steps per record. ASCII names, the
/// usual case, take `Slug`'s fast path, without the lock (the parallel passes call this from every core).
enum Slugs {
    private static let memo = Mutex<[String: String]>([:])
    private static let limit = 200_000

    static func make(_ name: String) -> String {
        if let slug = Slug.asciiSlug(name) { return slug }
        if let slug = memo.withLock({ $0[name] }) { return slug }
        let slug = Slug.make(name)
        memo.withLock { memo in
            if memo.count >= limit { memo.removeAll(keepingCapacity: true) }
            memo[name] = slug
        }
        return slug
    }
}
