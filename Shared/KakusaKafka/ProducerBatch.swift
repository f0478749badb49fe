/// Many records laid out in one buffer, for the throughput paths (`KafkaProducer.submit(_:)`).
///
/// An array of `ProducerMessage` costs two or three allocations a record (key, value, headers); a batch keeps
/// every key, value and header in one growing byte buffer, so appending a record allocates nothing once the
/// batch has grown, and the batch can be cleared and reused (`removeAll(keepingCapacity:)`).
public struct ProducerBatch: Sendable {
    /// Where a key, value or header lives in `bytes`; a length of -1 is a null.
    @usableFromInline struct Span: Sendable {
        @usableFromInline var offset: Int32
        @usableFromInline var length: Int32

        @usableFromInline static let null = Span(offset: 0, length: -1)

        @usableFromInline init(offset: Int32, length: Int32) {
            self.offset = offset
            self.length = length
        }
    }

    @usableFromInline struct Header: Sendable {
        @usableFromInline var name: Span
        @usableFromInline var value: Span

        @usableFromInline init(name: Span, value: Span) {
            self.name = name
            self.value = value
        }
    }

    @usableFromInline struct Entry: Sendable {
        @usableFromInline var topic: Int32
        /// -1: the partitioner chooses from the key.
        @usableFromInline var partition: Int32
        @usableFromInline var key: Span
        @usableFromInline var value: Span
        @usableFromInline var firstHeader: Int32
        @usableFromInline var headerCount: Int32

        @usableFromInline init(
            topic: Int32, partition: Int32, key: Span, value: Span, firstHeader: Int32, headerCount: Int32
        ) {
            self.topic = topic
            self.partition = partition
            self.key = key
            self.value = value
            self.firstHeader = firstHeader
            self.headerCount = headerCount
        }
    }

    @usableFromInline var bytes: [UInt8] = []
    @usableFromInline var entries: [Entry] = []
    @usableFromInline var headers: [Header] = []
    @usableFromInline var topics: [String] = []

    /// - Parameters:
    ///   - records: records to make room for.
    ///   - bytes: bytes of keys, values and headers to make room for.
    public init(reservingRecords records: Int = 0, bytes: Int = 0) {
        entries.reserveCapacity(records)
        self.bytes.reserveCapacity(bytes)
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    /// Appends one record. A `nil` value is a tombstone; `partition` nil lets the partitioner choose.
    @inlinable
    public mutating func append(
        topic: String, key: (some Collection<UInt8>)?, value: (some Collection<UInt8>)?,
        headers: [KafkaHeader] = [], partition: Int32? = nil
    ) {
        let topicIndex = index(of: topic)
        let key = store(key)
        let value = store(value)
        let firstHeader = Int32(self.headers.count)
        for header in headers { appendHeader(name: header.key.utf8, value: header.value) }
        entries.append(
            Entry(
                topic: topicIndex, partition: partition ?? -1, key: key, value: value, firstHeader: firstHeader,
                headerCount: Int32(headers.count)))
    }

    /// Appends a record whose value is written in place by `writeValue`, which appends to the buffer it is
    /// given and returns false to leave the record out. Spares the caller a value array of its own.
    /// Returns what `writeValue` returned.
    @inlinable @discardableResult
    public mutating func append(
        topic: String, key: (some Collection<UInt8>)?, headers: [KafkaHeader] = [], partition: Int32? = nil,
        writeValue: (inout [UInt8]) -> Bool
    ) -> Bool {
        append(topic: topic, writeKey: { $0.store(key) }, headers: headers, partition: partition, writeValue: writeValue)
    }

    /// The same with the key written in place too: `writeKey` appends the key's bytes to the buffer it is given.
    @inlinable @discardableResult
    public mutating func append(
        topic: String, writeKey: (inout [UInt8]) -> Void, headers: [KafkaHeader] = [], partition: Int32? = nil,
        writeValue: (inout [UInt8]) -> Bool
    ) -> Bool {
        append(
            topic: topic,
            writeKey: { batch in
                let start = batch.bytes.count
                writeKey(&batch.bytes)
                return Span(offset: Int32(start), length: Int32(batch.bytes.count - start))
            }, headers: headers, partition: partition, writeValue: writeValue)
    }

    @inlinable
    mutating func append(
        topic: String, writeKey: (inout ProducerBatch) -> Span, headers: [KafkaHeader], partition: Int32?,
        writeValue: (inout [UInt8]) -> Bool
    ) -> Bool {
        let start = bytes.count
        guard writeValue(&bytes) else {
            bytes.removeSubrange(start...)
            return false
        }
        let value = Span(offset: Int32(start), length: Int32(bytes.count - start))
        let topicIndex = index(of: topic)
        let keySpan = writeKey(&self)
        let firstHeader = Int32(self.headers.count)
        for header in headers { appendHeader(name: header.key.utf8, value: header.value) }
        entries.append(
            Entry(
                topic: topicIndex, partition: partition ?? -1, key: keySpan, value: value, firstHeader: firstHeader,
                headerCount: Int32(headers.count)))
        return true
    }

    /// Adds a header to the record appended last.
    @inlinable
    public mutating func addHeader(key: String, value: (some Collection<UInt8>)?) {
        precondition(!entries.isEmpty, "addHeader needs a record to add to")
        headers.append(Header(name: store(key.utf8), value: store(value)))
        entries[entries.count - 1].headerCount += 1
    }

    /// A header whose bytes are stored once in the batch, to add to many of its records: until `removeAll`.
    public struct StoredHeader: Sendable {
        @usableFromInline let header: Header

        @usableFromInline init(header: Header) { self.header = header }
    }

    /// Stores a header's bytes once, for `addHeader(_:)`.
    @inlinable
    public mutating func storeHeader(key: String, value: some Collection<UInt8>) -> StoredHeader {
        StoredHeader(header: Header(name: store(key.utf8), value: store(value)))
    }

    /// Adds a stored header to the record appended last, without copying its bytes again.
    @inlinable
    public mutating func addHeader(_ stored: StoredHeader) {
        precondition(!entries.isEmpty, "addHeader needs a record to add to")
        headers.append(stored.header)
        entries[entries.count - 1].headerCount += 1
    }

    /// Adds a header, whose value `writeValue` appends to the buffer it is given, to the record appended last.
    @inlinable
    public mutating func addHeader(key: String, writeValue: (inout [UInt8]) -> Void) {
        precondition(!entries.isEmpty, "addHeader needs a record to add to")
        let name = store(key.utf8)
        let start = bytes.count
        writeValue(&bytes)
        headers.append(Header(name: name, value: Span(offset: Int32(start), length: Int32(bytes.count - start))))
        entries[entries.count - 1].headerCount += 1
    }

    public mutating func append(_ message: ProducerMessage) {
        append(
            topic: message.topic, key: message.key, value: message.value, headers: message.headers,
            partition: message.partition)
    }

    /// Appends the records of `other`, in their order.
    public mutating func append(contentsOf other: ProducerBatch) {
        let byteBase = Int32(bytes.count)
        let headerBase = Int32(headers.count)
        let topicIndices = other.topics.map { index(of: $0) }
        func shifted(_ span: Span) -> Span {
            span.length < 0 ? span : Span(offset: span.offset + byteBase, length: span.length)
        }
        bytes.append(contentsOf: other.bytes)
        headers.append(contentsOf: other.headers.lazy.map { Header(name: shifted($0.name), value: shifted($0.value)) })
        entries.append(
            contentsOf: other.entries.lazy.map { entry in
                Entry(
                    topic: topicIndices[Int(entry.topic)], partition: entry.partition, key: shifted(entry.key),
                    value: shifted(entry.value), firstHeader: entry.firstHeader + headerBase,
                    headerCount: entry.headerCount)
            })
    }

    /// The records appended, one by one (each copies its bytes out: for tests and rare paths).
    public var messages: [ProducerMessage] {
        entries.indices.map { message(at: $0) }
    }

    /// The record at `index`, copied out.
    public func message(at index: Int) -> ProducerMessage {
        let entry = entries[index]
        return ProducerMessage(
            topic: topics[Int(entry.topic)], key: load(entry.key), value: load(entry.value),
            headers: headers[Int(entry.firstHeader)..<Int(entry.firstHeader + entry.headerCount)].map { header in
                KafkaHeader(key: String(decoding: load(header.name) ?? [], as: UTF8.self), value: load(header.value))
            },
            partition: entry.partition < 0 ? nil : entry.partition)
    }

    private func load(_ span: Span) -> [UInt8]? {
        span.length < 0 ? nil : Array(bytes[Int(span.offset)..<Int(span.offset + span.length)])
    }

    public mutating func removeAll(keepingCapacity: Bool = true) {
        bytes.removeAll(keepingCapacity: keepingCapacity)
        entries.removeAll(keepingCapacity: keepingCapacity)
        headers.removeAll(keepingCapacity: keepingCapacity)
    }

    @inlinable
    mutating func index(of topic: String) -> Int32 {
        // Batches name one or two topics: the last one is the likely match.
        if let last = topics.last, last == topic { return Int32(topics.count - 1) }
        if let found = topics.firstIndex(of: topic) { return Int32(found) }
        topics.append(topic)
        return Int32(topics.count - 1)
    }

    @inlinable
    mutating func store(_ data: (some Collection<UInt8>)?) -> Span {
        guard let data else { return .null }
        let start = bytes.count
        bytes.append(contentsOf: data)
        return Span(offset: Int32(start), length: Int32(bytes.count - start))
    }

    @inlinable
    mutating func appendHeader(name: String.UTF8View, value: [UInt8]?) {
        headers.append(Header(name: store(name), value: store(value)))
    }
}
