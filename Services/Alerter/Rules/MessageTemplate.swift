import KakusaEvents

/// A rule's `message:` — text with `{placeholders}`, nothing more:
///
/// - `{path}`: the record's value at a dotted path (`{company}`, `{current.amount}`, `{ratios.JP}`). Money objects
///   print as `USD 3.3B`, whole numbers plainly, other numbers with one decimal, null and missing as `n/a`.
/// - `{path|abs}`: the absolute value of a number; `{path|money}`: a number as USD (`USD 910M`).
/// - Built-ins: `{rule}`, `{subject}`, `{severity}`, `{direction}` (`up`, `down` or `unchanged` from `change_pct`).
/// - `{{` and `}}` are literal braces.
struct MessageTemplate: Sendable, Equatable {
    enum Part: Sendable, Equatable {
        case text(String)
        case field(path: String, filter: Filter?)
    }

    enum Filter: String, Sendable {
        case abs, money
    }

    struct ParseError: Error {
        var reason: String
    }

    var parts: [Part]

    init(parsing text: String) throws(ParseError) {
        var parts: [Part] = []
        var literal = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            if character == "{" || character == "}", next < text.endIndex, text[next] == character {
                literal.append(character)
                index = text.index(after: next)
                continue
            }
            if character == "}" { throw ParseError(reason: "unmatched `}` (write `}}` for a brace)") }
            guard character == "{" else {
                literal.append(character)
                index = next
                continue
            }
            guard let close = text[next...].firstIndex(of: "}") else {
                throw ParseError(reason: "unclosed `{` (write `{{` for a brace)")
            }
            let inside = text[next..<close].split(separator: "|", omittingEmptySubsequences: false)
            let path = inside[0].trimmed()
            guard !path.isEmpty, !path.contains("{"), inside.count <= 2 else {
                throw ParseError(reason: "bad placeholder `{\(text[next..<close])}`")
            }
            var filter: Filter?
            if inside.count == 2 {
                let name = inside[1].trimmed()
                guard let known = Filter(rawValue: name) else {
                    throw ParseError(reason: "unknown filter `\(name)` (abs or money)")
                }
                filter = known
            }
            if !literal.isEmpty { parts.append(.text(literal)) }
            literal = ""
            parts.append(.field(path: path, filter: filter))
            index = text.index(after: close)
        }
        if !literal.isEmpty { parts.append(.text(literal)) }
        self.parts = parts
    }

    func render(record: JSONValue, builtins: [String: String]) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .text(let text):
                out += text
            case .field(let path, let filter):
                if filter == nil, let builtin = builtins[path], record.value(at: path) == nil {
                    out += builtin
                    continue
                }
                let value = record.value(at: path) ?? .null
                switch (filter, value) {
                case (.abs, .number(let number)): out += Format.number(abs(number))
                case (.money, .number(let number)): out += Format.money(number, currency: "USD")
                default: out += Format.value(value)
                }
            }
        }
        return out
    }
}

extension StringProtocol {
    fileprivate func trimmed() -> String {
        var text = Substring(self)
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return String(text)
    }
}
