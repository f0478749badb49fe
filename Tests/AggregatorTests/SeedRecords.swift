import KakusaTestSupport
import KakusaEvents

/// The seed figures (`/work/shared/seed-facts.md`) as input records.
enum SeedRecords {
    static let paperCounts: [PaperCount] = [
        ("Google", "US", 2174), ("Tsinghua University", "CN", 1748), ("Stanford University", "US", 1081),
        ("MIT", "US", 1037), ("Carnegie Mellon University", "US", 1015), ("Peking University", "CN", 906),
        ("Zhejiang University", "CN", 906), ("Microsoft", "US", 851), ("Shanghai Jiao Tong University", "CN", 810),
        ("Meta", "US", 782), ("RIKEN", "JP", 188), ("University of Tokyo", "JP", 171),
    ].map { PaperCount(institution: $0.0, country: $0.1, year: 2024, authors: $0.2, source: "seed") }

    static let fundingRounds: [FundingRound] = [
        FundingRound(
            company: "Moonshot AI", country: "CN", round: "Series A",
            valuation: Money(amount: 155_000_000_000, currency: "JPY"), investors: ["Alibaba"],
            announcedOn: "2024-02-01"),
        FundingRound(
            company: "Moonshot AI", country: "CN", round: "Series B",
            valuation: Money(amount: 3_300_000_000, currency: "USD"), investors: ["Alibaba", "Tencent"],
            announcedOn: "2025-01-20"),
        FundingRound(
            company: "Zhipu AI", country: "CN", valuation: Money(amount: 3_000_000_000, currency: "USD"),
            investors: ["Alibaba", "Tencent"], announcedOn: "2025-01-15"),
    ]

    static let stockMoves: [StockMove] = [
        StockMove(
            symbol: "NVDA", kind: .stock, at: "2025-01-27", changePct: -16.97,
            marketCapChange: Money(amount: -91_000_000_000_000, currency: "JPY")),
        StockMove(symbol: "SOX", kind: .index, at: "2025-01-27", changePct: -9.2),
        StockMove(symbol: "AAPL", kind: .stock, at: "2025-01-27", changePct: 3.2),
    ]
}
