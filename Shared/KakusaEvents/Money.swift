/// An amount in one currency, as reported: `{"amount": 3300000000, "currency": "USD"}`.
public struct Money: Codable, Sendable, Equatable, Hashable {
    /// The amount in units of `currency` (not minor units).
    public var amount: Double
    /// ISO 4217 code, upper case.
    public var currency: String

    public init(amount: Double, currency: String) {
        self.amount = amount
        self.currency = currency
    }

    /// Convenience for amounts already converted to US dollars, as in derived records.
    public static func usd(_ amount: Double) -> Money {
        Money(amount: amount, currency: "USD")
    }
}

extension Money: Validatable {
    /// A known currency and a finite, non-negative amount.
    public func validate() -> [ValidationIssue] {
        validate(allowingNegative: false)
    }

    /// The same checks, letting a change (such as `StockMove.market_cap_change`) be negative.
    public func validate(allowingNegative: Bool) -> [ValidationIssue] {
        var checks = Checks()
        if allowingNegative {
            checks.finite("amount", amount)
        } else {
            checks.nonNegative("amount", amount)
        }
        checks.currency("currency", currency)
        return checks.issues
    }
}
