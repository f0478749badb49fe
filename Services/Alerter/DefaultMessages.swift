import KakusaEvents

/// The one-line message of an alert whose rule has no `message:` — written per topic to be acted on:
/// `Moonshot AI valuation up 230.0% to USD 3.3B (was USD 1.0B), Series C on 2025-01-20`.
enum DefaultMessages {
    static func message(for record: ObservedRecord, rule: Rule) -> String {
        let r = record.json
        func s(_ path: String) -> String? { r.value(at: path)?.stringValue }
        func d(_ path: String) -> Double? { r.value(at: path)?.doubleValue }
        func money(_ path: String) -> String? {
            guard let amount = d("\(path).amount"), let currency = s("\(path).currency") else { return nil }
            return Format.money(amount, currency: currency)
        }
        let roundAndDate = [s("round"), s("announced_on").map { "on \($0)" }].compactMap { $0 }.joined(separator: " ")
        switch record.topic {
        case .valuationChanges:
            let company = s("company") ?? record.subject
            let current = money("current") ?? "n/a"
            var text: String
            if let change = d("change_pct"), let previous = money("previous") {
                text =
                    change == 0
                    ? "\(company) valuation unchanged at \(current)"
                    : "\(company) valuation \(Format.direction(change)) \(Format.percent(change)) to \(current) "
                        + "(was \(previous))"
            } else {
                text = "\(company) valued at \(current) (first valuation seen)"
            }
            if !roundAndDate.isEmpty { text += ", \(roundAndDate)" }
            return text
        case .fundingRounds:
            let company = s("company") ?? record.subject
            var text = "\(company) (\(s("country") ?? "?"))"
            if let raised = money("raised") { text += " raised \(raised) at" } else { text += " valued at" }
            text += " \(money("valuation") ?? "n/a")"
            if !roundAndDate.isEmpty { text += ", \(roundAndDate)" }
            return text
        case .stockMoves:
            let symbol = s("symbol") ?? record.subject
            let who = s("name").map { "\($0) (\(symbol))" } ?? symbol
            let change = d("change_pct") ?? 0
            var text = "\(who) \(change < 0 ? "fell" : change > 0 ? "rose" : "was flat") "
            text += change == 0 ? "on \(s("at") ?? "?")" : "\(Format.percent(change)) on \(s("at") ?? "?")"
            if let close = d("close") { text += " to \(Format.number(close))" }
            if let cap = d("market_cap_change.amount"), let currency = s("market_cap_change.currency") {
                text += ", market value \(cap < 0 ? "down" : "up") \(Format.money(abs(cap), currency: currency))"
            }
            return text
        case .marketDays:
            let cap = d("market_cap_change") ?? 0
            var text =
                "\(s("date") ?? record.subject): market value \(cap < 0 ? "down" : "up") "
                + "\(Format.money(abs(cap), currency: "USD")) across \(Format.number(d("moves") ?? 0)) moves "
                + "(\(Format.number(d("decliners") ?? 0)) down, \(Format.number(d("advancers") ?? 0)) up)"
            if let symbol = s("largest_fall.symbol"), let fall = d("largest_fall.change_pct") {
                text += ", largest fall \(symbol) \(Format.percent(fall))"
            }
            return text
        case .countryPaperTotals:
            let country = s("country") ?? "?"
            var text =
                "\(country) \(Format.number(d("year") ?? 0)): \(Format.number(d("authors") ?? 0)) authors "
                + "at the top AI conferences"
            if rule.condition.field.hasPrefix("ratios."), let ratio = r.value(at: rule.condition.field)?.doubleValue {
                text += ", \(Format.number(ratio))× \(rule.condition.field.dropFirst("ratios.".count))"
            }
            if let share = d("share") { text += ", \(Format.oneDecimal(share * 100))% of all" }
            return text
        case .paperCounts:
            var text =
                "\(s("institution") ?? record.subject) (\(s("country") ?? "?")) "
                + "\(Format.number(d("year") ?? 0)): \(Format.number(d("authors") ?? 0)) authors"
            if let rank = d("rank") { text += ", rank \(Format.number(rank))" }
            return text
        case .alerts, .deadLetters:
            return "\(rule.name) fired on \(record.subject)"
        }
    }
}
