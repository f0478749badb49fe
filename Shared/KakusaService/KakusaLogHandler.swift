import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes one line a log event to stderr, as `text` with `key=value` metadata or as a JSON object.
///
/// Each line goes out in a single `write(2)`, so lines from concurrent tasks do not interleave.
public struct KakusaLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata
    public var metadataProvider: Logger.MetadataProvider?
    public let label: String
    public let format: LogFormat

    public init(
        label: String,
        format: LogFormat,
        logLevel: Logger.Level,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.label = label
        self.format = format
        self.logLevel = logLevel
        self.metadata = [:]
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        if let error = event.error, merged[LogKey.error] == nil { merged[LogKey.error] = "\(error)" }
        var line = render(level: event.level, message: "\(event.message)", metadata: merged)
        line.append("\n")
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// The line without its newline; separate from `log` so that tests can check the format.
    func render(level: Logger.Level, message: String, metadata: Logger.Metadata, time: String = Self.now()) -> String {
        let keys = metadata.keys.sorted()
        switch format {
        case .text:
            var line = "\(time) \(level) \(label): \(message)"
            for key in keys {
                line += " \(key)=\(Self.text(metadata[key]!))"
            }
            return line
        case .json:
            let reserved: Set<String> = ["time", "level", "logger", "message"]
            var line = "{\"time\":\"\(time)\",\"level\":\"\(level)\",\"logger\":\(Self.quoted(label))"
            line += ",\"message\":\(Self.quoted(message))"
            for key in keys {
                let name = reserved.contains(key) ? "_\(key)" : key
                line += ",\(Self.quoted(name)):\(Self.json(metadata[key]!))"
            }
            return line + "}"
        }
    }

    private static func text(_ value: Logger.Metadata.Value) -> String {
        let plain: String
        switch value {
        case .string(let string): plain = string
        case .stringConvertible(let convertible): plain = convertible.description
        case .array, .dictionary: plain = value.description
        }
        let needsQuotes = plain.isEmpty || plain.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }
        return needsQuotes ? quoted(plain) : plain
    }

    private static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string): return quoted(string)
        case .stringConvertible(let convertible): return quoted(convertible.description)
        case .array(let values): return "[" + values.map(json).joined(separator: ",") + "]"
        case .dictionary(let values):
            let members = values.keys.sorted().map { "\(quoted($0)):\(json(values[$0]!))" }
            return "{" + members.joined(separator: ",") + "}"
        }
    }

    /// A JSON string literal; also used for text values that contain spaces or quotes.
    private static func quoted(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// UTC time with milliseconds, RFC 3339: `2026-01-02T03:04:05.678Z`.
    static func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var seconds = spec.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int = 2) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let millis = Int32(spec.tv_nsec / 1_000_000)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))"
            + "T\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec)).\(pad(millis, 3))Z"
    }
}
