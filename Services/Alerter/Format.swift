import Foundation
import KakusaEvents

/// How numbers read in alert messages: money as `USD 3.3B` / `USD 910M` / `USD 1.2T`, percentages with one decimal.
enum Format {
    /// `USD 3.3B`; negative amounts as `-USD 589B`.
    static func money(_ amount: Double, currency: String) -> String {
        let sign = amount < 0 ? "-" : ""
        let value = abs(amount)
        let scaled: String
        switch value {
        case 1e12...: scaled = oneDecimal(value / 1e12) + "T"
        case 1e9..<1e12: scaled = oneDecimal(value / 1e9) + "B"
        case 1e6..<1e9: scaled = (value >= 1e8 ? String(Int((value / 1e6).rounded())) : oneDecimal(value / 1e6)) + "M"
        case 1e3..<1e6: scaled = (value >= 1e5 ? String(Int((value / 1e3).rounded())) : oneDecimal(value / 1e3)) + "K"
        default: scaled = number(value)
        }
        return "\(sign)\(currency) \(scaled)"
    }

    /// `230.0`.
    static func oneDecimal(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        let whole = Int(rounded)
        let tenth = Int((abs(rounded - Double(whole)) * 10).rounded())
        let sign = rounded < 0 && whole == 0 ? "-" : ""
        return "\(sign)\(whole).\(tenth)"
    }

    /// `230.0%` for a signed percentage's size.
    static func percent(_ value: Double) -> String { oneDecimal(abs(value)) + "%" }

    /// Whole numbers plainly, others to two decimals at most (ratios such as `19.33`).
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        let rounded = (value * 100).rounded() / 100
        return String(format: "%g", rounded)
    }

    /// A JSON value for a message: money objects as money, null as `n/a`.
    static func value(_ value: JSONValue) -> String {
        switch value {
        case .null: return "n/a"
        case .bool(let bool): return String(bool)
        case .number(let number): return Self.number(number)
        case .string(let string): return string
        case .object:
            if let amount = value["amount"]?.doubleValue, let currency = value["currency"]?.stringValue {
                return money(amount, currency: currency)
            }
            return (try? String(decoding: KakusaJSON.encode(value), as: UTF8.self)) ?? "{…}"
        case .array(let values): return values.map(Self.value).joined(separator: ", ")
        }
    }

    /// `up` / `down` / `unchanged` for a signed change.
    static func direction(_ change: Double?) -> String {
        guard let change else { return "unchanged" }
        return change > 0 ? "up" : change < 0 ? "down" : "unchanged"
    }
}
