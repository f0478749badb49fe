import KakusaEvents

/// Records from the seed facts, valid as they stand; tests change one thing at a time.
enum Samples {
    static let moonshot = FundingRound(
        company: "Moonshot AI", country: "CN", round: "Strategic", valuation: Money(amount: 3.3e9, currency: "USD"),
        raised: Money(amount: 1e9, currency: "USD"), investors: ["Alibaba", "Tencent", "HongShan"],
        announcedOn: "2025-01-20", source: "https://example.com/deepseek-shock")

    static let tsinghua = PaperCount(
        institution: "Tsinghua University", country: "CN", year: 2024, authors: 1748, rank: 2,
        source: "top-3 conferences 2024")

    static let nvidia = StockMove(
        symbol: "NVDA", name: "NVIDIA", kind: .stock, at: "2025-01-27T16:00:00-05:00", changePct: -16.97,
        close: 118.42, marketCapChange: Money(amount: -91e12, currency: "JPY"), source: "Dow Jones Market Data")

    static let firstValuation = ValuationChange(
        company: "Moonshot AI", country: "CN", round: nil, announcedOn: "2024-02-01", previous: nil,
        current: .usd(1e9), changePct: nil, fundingRoundID: "0123456789abcdef0123456789abcdef")

    static let valuationJump = ValuationChange(
        company: "Moonshot AI", country: "CN", round: "Strategic", announcedOn: "2025-01-20", previous: .usd(1e9),
        current: .usd(3.3e9), changePct: 230, fundingRoundID: moonshot.effectiveID)

    static let usTotals = CountryPaperTotals(
        year: 2024, country: "US", authors: 6940, institutions: 6, share: 0.6057,
        ratios: ["CN": 1.59, "JP": 19.33])

    static let selloff = MarketDay(
        date: "2025-01-27", moves: 3, advancers: 0, decliners: 3, marketCapChange: -1.6e12,
        largestFall: MarketDay.Fall(symbol: "NVDA", changePct: -16.97))

    static let quietDay = MarketDay(
        date: "2025-01-29", moves: 1, advancers: 1, decliners: 0, marketCapChange: 1e11, largestFall: nil)

    static func alert() throws -> Alert {
        Alert(
            rule: "valuation-jump", severity: .critical, subject: "moonshot-ai",
            message: "Moonshot AI valuation up 230% to USD 3.3B (was USD 1.0B)", at: "2025-01-20T09:00:00.000Z",
            topic: "kakusa.valuation-changes", record: try JSONValue(encoding: valuationJump),
            recordID: valuationJump.id)
    }
}
