/// The canonical byte string of a record id (the format is `RecordID`'s), written field by field into one buffer.
///
/// Gives the same bytes as `RecordID.derive(type:fields:)` over the `RecordID.canonical` strings, without a String
/// a field: the common values (ASCII text without surrounding whitespace, whole amounts, short sorted lists) go in
/// as they are, anything else through `RecordID.canonical`. The ingester derives an id for every record it reads,
/// and the strings had cost it ten times the hash. `RecordIDTests` checks both give the same ids.
public struct CanonicalFields {
    private var bytes: [UInt8] = []

    /// Starts the string with the type tag (`funding-round.v1`).
    public init(type: StaticString) {
        bytes.reserveCapacity(192)
        reset(type: type)
    }

    /// Starts over with `type`, keeping the buffer: one for many records.
    public mutating func reset(type: StaticString) {
        bytes.removeAll(keepingCapacity: true)
        type.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// The id: hex of the first 16 bytes of the SHA-256 of the string.
    public var id: String { RecordID.hash(bytes) }

    /// Appends the id's 32 hex digits to `output`.
    public func appendID(to output: inout [UInt8]) { RecordID.appendHash(of: bytes, to: &output) }

    /// A string: NFC, trimmed; nil is empty.
    public mutating func text(_ name: StaticString, _ value: String?) {
        begin(name)
        appendText(value ?? "")
    }

    /// A value already in canonical form (a slug, an upper-cased symbol).
    public mutating func canonical(_ name: StaticString, _ value: String) {
        begin(name)
        bytes.append(contentsOf: value.utf8)
    }

    /// A number: plain decimal; nil is empty.
    public mutating func number(_ name: StaticString, _ value: Double?) {
        begin(name)
        appendNumber(value)
    }

    /// An integer; nil is empty.
    public mutating func integer(_ name: StaticString, _ value: Int?) {
        begin(name)
        if let value { JSONWriter.append(to: &bytes) { $0.number(value) } }
    }

    /// Money: `<amount> <currency>`; nil is empty.
    public mutating func money(_ name: StaticString, _ value: Money?) {
        begin(name)
        guard let value else { return }
        appendNumber(value.amount)
        bytes.append(UInt8(ascii: " "))
        appendText(value.currency)
    }

    /// A list: canonical elements joined by 0x1E, ordered by their UTF-8 bytes when `sorted`.
    public mutating func list(_ name: StaticString, _ list: [String], sorted: Bool) {
        begin(name)
        // ASCII elements without surrounding whitespace are their own canonical form: they are sorted as they are.
        guard list.count <= 32, list.allSatisfy(Self.isCanonicalASCII) else {
            bytes.append(contentsOf: RecordID.canonical(list, sorted: sorted).utf8)
            return
        }
        withUnsafeTemporaryAllocation(of: Int.self, capacity: list.count) { order in
            for index in list.indices { order.initializeElement(at: index, to: index) }
            if sorted {
                // Insertion sort: lists here are a handful of investors.
                for i in 1..<max(list.count, 1) {
                    var j = i
                    while j > 0, list[order[j]].utf8.lexicographicallyPrecedes(list[order[j - 1]].utf8) {
                        order.swapAt(j, j - 1)
                        j -= 1
                    }
                }
            }
            for (position, index) in order.enumerated() {
                if position > 0 { bytes.append(0x1E) }
                bytes.append(contentsOf: list[index].utf8)
            }
        }
    }

    /// UTF-8 already in canonical form (the caller has checked it).
    public mutating func canonical(_ name: StaticString, utf8 value: UnsafeBufferPointer<UInt8>) {
        begin(name)
        bytes.append(contentsOf: value)
    }

    /// The slug of an ASCII name, as `Slug.make` makes it.
    public mutating func slug(_ name: StaticString, asciiName: UnsafeBufferPointer<UInt8>) {
        begin(name)
        Slug.appendASCIISlug(of: asciiName, to: &bytes)
    }

    /// Money whose currency is already in canonical form.
    public mutating func money(_ name: StaticString, amount: Double, canonicalCurrency: UnsafeBufferPointer<UInt8>) {
        begin(name)
        appendNumber(amount)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: canonicalCurrency)
    }

    /// Elements already in canonical form and order, joined by 0x1E.
    public mutating func joined(
        _ name: StaticString, count: Int, element: (Int) -> UnsafeBufferPointer<UInt8>
    ) {
        begin(name)
        for index in 0..<count {
            if index > 0 { bytes.append(0x1E) }
            bytes.append(contentsOf: element(index))
        }
    }

    private mutating func begin(_ name: StaticString) {
        bytes.append(0x1F)
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "="))
    }

    private mutating func appendText(_ text: String) {
        if Self.isCanonicalASCII(text) {
            bytes.append(contentsOf: text.utf8)
        } else {
            bytes.append(contentsOf: RecordID.canonical(text).utf8)
        }
    }

    private mutating func appendNumber(_ value: Double?) {
        // A whole amount below 10^15 is its integer digits, as in `RecordID.canonical(_: Double?)`.
        if let value, value != 0, value.magnitude < 1e15, value == value.rounded(.towardZero) {
            JSONWriter.append(to: &bytes) { $0.number(Int(value)) }
        } else {
            bytes.append(contentsOf: RecordID.canonical(value).utf8)
        }
    }

    /// ASCII whose first and last bytes are not whitespace (or empty): what `RecordID.canonical` leaves as it is.
    static func isCanonicalASCII(_ text: String) -> Bool {
        let answer = text.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            guard let first = utf8.first, let last = utf8.last else { return true }
            return RecordID.isPlainASCII(first) && RecordID.isPlainASCII(last) && !utf8.contains { $0 >= 0x80 }
        }
        return answer ?? false
    }
}
