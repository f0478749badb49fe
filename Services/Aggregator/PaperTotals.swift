import KakusaEvents

/// The latest author count of every institution, by year, and the country totals derived from them.
///
/// A later count for the same institution and year replaces the earlier one. Totals of a year are recomputed from
/// all its counts, so they do not depend on the order the counts arrived in. Pure; the Kafka loop persists
/// ``Count`` values in the changelog.
struct PaperTotals: Sendable, Equatable {
    /// One institution's count in one year.
    struct Count: Codable, Sendable, Equatable, Hashable {
        /// The institution's slug.
        var institution: String
        var country: String
        var year: Int
        var authors: Int
        /// `effectiveID` of the paper count.
        var id: String
    }

    /// Year → institution slug → its latest count.
    private(set) var years: [Int: [String: Count]] = [:]

    /// Applies `count`; returns the entry to persist, or nil when it changes nothing (same count again).
    mutating func apply(_ count: PaperCount) -> Count? {
        let entry = Count(
            institution: Slug.make(count.institution), country: count.country, year: count.year,
            authors: count.authors, id: count.effectiveID)
        let known = years[entry.year]?[entry.institution]
        guard known?.country != entry.country || known?.authors != entry.authors else { return nil }
        restore(entry)
        return entry
    }

    /// Puts back an entry read from the changelog.
    mutating func restore(_ entry: Count) {
        years[entry.year, default: [:]][entry.institution] = entry
    }

    /// Every country's totals in `year`, sorted by country; empty for a year with no counts.
    func totals(year: Int) -> [CountryPaperTotals] {
        guard let counts = years[year] else { return [] }
        var authors: [String: Int] = [:]
        var institutions: [String: Int] = [:]
        for count in counts.values {
            authors[count.country, default: 0] += count.authors
            institutions[count.country, default: 0] += 1
        }
        let all = authors.values.reduce(0, +)
        return authors.keys.sorted().map { country in
            let total = authors[country] ?? 0
            var ratios: [String: Double] = [:]
            for (other, otherTotal) in authors where other != country && otherTotal > 0 {
                ratios[other] = rounded(Double(total) / Double(otherTotal), places: 2)
            }
            return CountryPaperTotals(
                year: year, country: country, authors: total, institutions: institutions[country] ?? 0,
                share: all > 0 ? rounded(Double(total) / Double(all), places: 4) : 0, ratios: ratios)
        }
    }
}
