import Foundation

/// RFC 3339 dates and times as the contract writes them: strict checks without a `DateFormatter`,
/// which accepts impossible dates such as 2023-02-30 on some platforms.
public enum RFC3339 {
    /// Whether `text` is a real Gregorian date written `YYYY-MM-DD` (RFC 3339 `full-date`).
    public static func isValidDate(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { isValidDate(utf8: $0) }
    }

    /// `isValidDate` over UTF-8 bytes.
    public static func isValidDate(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.count == 10 && parseDate(bytes) != nil
    }

    /// Whether `text` is an RFC 3339 `date-time`: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
    public static func isValidDateTime(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, parseDate(bytes[0..<10]) != nil,
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t")
        else { return false }
        guard let hour = number(bytes[11..<13]), bytes[13] == UInt8(ascii: ":"),
            let minute = number(bytes[14..<16]), bytes[16] == UInt8(ascii: ":"),
            let second = number(bytes[17..<19]),
            hour <= 23, minute <= 59, second <= 60
        else { return false }
        var index = 19
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            if index == start { return false }
        }
        guard index < bytes.count else { return false }
        let offset = bytes[index...]
        if offset.count == 1 { return offset.first == UInt8(ascii: "Z") || offset.first == UInt8(ascii: "z") }
        guard offset.count == 6, offset.first == UInt8(ascii: "+") || offset.first == UInt8(ascii: "-"),
            let offsetHour = number(offset.dropFirst().prefix(2)), offset[offset.startIndex + 3] == UInt8(ascii: ":"),
            let offsetMinute = number(offset.suffix(2))
        else { return false }
        return offsetHour <= 23 && offsetMinute <= 59
    }

    /// Whether `text` is a `date-time` or a plain date, the two forms `StockMove.at` accepts.
    public static func isValidDateOrDateTime(_ text: String) -> Bool {
        isValidDate(text) || isValidDateTime(text)
    }

    /// `date` in UTC with milliseconds, e.g. `2025-01-27T14:30:00.000Z`, for `ce_time` and `Alert.at`.
    public static func string(from date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }

    private static func parseDate<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes) -> (Int, Int, Int)?
    where Bytes.Index == Int {
        let base = bytes.startIndex
        guard bytes.count == 10, bytes[base + 4] == UInt8(ascii: "-"), bytes[base + 7] == UInt8(ascii: "-"),
            let year = number(bytes[base..<base + 4]), let month = number(bytes[base + 5..<base + 7]),
            let day = number(bytes[base + 8..<base + 10]),
            (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year)
        else { return nil }
        return (year, month, day)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func number<Digits: Collection<UInt8>>(_ digits: Digits) -> Int? {
        guard !digits.isEmpty, digits.allSatisfy(isDigit) else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
