/// One Kafka record header. A `nil` value is a header with a null value, which Kafka allows.
public struct KafkaHeader: Sendable, Hashable {
    public var key: String
    public var value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }

    public init(key: String, value: String) {
        self.init(key: key, value: Array(value.utf8))
    }

    /// The value as UTF-8 text, `nil` for a null value.
    public var stringValue: String? { value.map { String(decoding: $0, as: UTF8.self) } }
}

extension Array where Element == KafkaHeader {
    /// The last header with this key (Kafka allows repeats; the last one wins, as in Kafka Connect).
    public func value(forKey key: String) -> String? {
        last(where: { $0.key == key })?.stringValue
    }
}
