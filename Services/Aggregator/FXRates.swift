import KakusaEvents

/// Exchange rates as units of each currency per US dollar (`JPY=155` means 155 yen buy one dollar), from
/// `KAKUSA_FX_RATES`. USD is always 1. A currency without a rate has no conversion: the caller dead-letters
/// the record instead of guessing.
struct FXRates: Sendable, Equatable {
    /// Currency code → units per USD.
    var unitsPerUSD: [String: Double]

    init(unitsPerUSD: [String: Double]) {
        self.unitsPerUSD = unitsPerUSD
        self.unitsPerUSD["USD"] = 1
    }

    /// Parses `CODE=rate[,CODE=rate]`; nil when an entry is malformed or a rate is not a positive number.
    init?(parsing text: String) {
        var rates: [String: Double] = [:]
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1)
            guard parts.count == 2,
                let rate = Double(parts[1].trimmingWhitespace), rate.isFinite, rate > 0
            else { return nil }
            let code = parts[0].trimmingWhitespace.uppercased()
            guard code.count == 3 else { return nil }
            rates[code] = rate
        }
        self.init(unitsPerUSD: rates)
    }

    /// The amount in USD, or nil when the currency has no rate.
    func usd(_ money: Money) -> Double? {
        guard let rate = unitsPerUSD[money.currency.uppercased()] else { return nil }
        return money.amount / rate
    }

    /// The issue reported for a currency without a rate.
    func missingRateIssue(field: String, currency: String) -> ValidationIssue {
        ValidationIssue(
            field: field, code: "unknown_rate",
            reason: "no exchange rate for \(currency) (KAKUSA_FX_RATES has \(unitsPerUSD.keys.sorted().joined(separator: ",")))")
    }
}

extension Substring {
    fileprivate var trimmingWhitespace: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}

/// Rounds half away from zero to `places` decimals, as the contract's figures are printed (19.331… → 19.33).
func rounded(_ value: Double, places: Int) -> Double {
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    return (value * scale).rounded(.toNearestOrAwayFromZero) / scale
}
