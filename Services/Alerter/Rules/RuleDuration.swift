/// A cooldown such as `90s`, `15m`, `24h` or `7d`: a whole number and one unit, nothing else.
enum RuleDuration {
    /// Seconds, or nil when `text` is not `<digits><s|m|h|d>` or is zero.
    static func seconds(_ text: String) -> Int? {
        guard let unit = text.last, let number = Int(text.dropLast()), number > 0,
            text.dropLast().allSatisfy(\.isASCII), !text.hasPrefix("+")
        else { return nil }
        switch unit {
        case "s": return number
        case "m": return number * 60
        case "h": return number * 3600
        case "d": return number * 86400
        default: return nil
        }
    }
}
