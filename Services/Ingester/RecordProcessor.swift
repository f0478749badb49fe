import Foundation
import KakusaEvents
import KakusaKafka

/// Turns the bytes of one JSON record into a `RecordOutcome`: decode, validate, fill in `id`, encode.
///
/// The fast path is `FastRecordParser` (a strict byte-level scanner for the three input types); anything it does
/// not handle, and every invalid record, goes through `JSONDecoder` so the issues are the house's issues.
struct RecordProcessor: Sendable {
    let kind: InputKind

    func process(_ bytes: ArraySlice<UInt8>) -> RecordOutcome {
        guard Self.isValidUTF8(bytes) else { return Self.invalidUTF8 }
        if let fast = fastPath(bytes) { return fast }
        return decode(bytes)
    }

    /// `process` for a record the fast path already refused: the full path only.
    func processRefused(_ bytes: ArraySlice<UInt8>) -> RecordOutcome {
        guard Self.isValidUTF8(bytes) else { return Self.invalidUTF8 }
        return decode(bytes)
    }

    private static let invalidUTF8 = RecordOutcome.invalid(
        issues: [ValidationIssue(field: "", code: "invalid_utf8", reason: "is not valid UTF-8")], key: nil)

    private func decode(_ bytes: ArraySlice<UInt8>) -> RecordOutcome {
        switch kind {
        case .fundingRounds: return Self.decode(FundingRound.self, bytes, kind: kind)
        case .paperCounts: return Self.decode(PaperCount.self, bytes, kind: kind)
        case .stockMoves: return Self.decode(StockMove.self, bytes, kind: kind)
        }
    }

    /// A valid record read, identified and written without Foundation's coders; nil sends it the slow way.
    func fastPath(_ bytes: ArraySlice<UInt8>) -> RecordOutcome? {
        bytes.withUnsafeBufferPointer { buffer -> RecordOutcome? in
            switch kind {
            case .fundingRounds:
                return Self.fastValid(FastRecordParser.fundingRound(buffer), FastValidation.isValid).flatMap {
                    Self.outcome($0, FastRecordEncoder.encode)
                }
            case .paperCounts:
                return Self.fastValid(FastRecordParser.paperCount(buffer), FastValidation.isValid).flatMap {
                    Self.outcome($0, FastRecordEncoder.encode)
                }
            case .stockMoves:
                return Self.fastValid(FastRecordParser.stockMove(buffer), FastValidation.isValid).flatMap {
                    Self.outcome($0, FastRecordEncoder.encode)
                }
            }
        }
    }

    /// `fastPath` writing straight into a batch: appends the record, with its effective id and headers, when the
    /// fast path reads it and finds it valid; false (batch unchanged) sends it to `process`. Whatever the fast path
    /// accepts is UTF-8 (its strings are validated, all else it reads is ASCII), so no separate check is needed.
    func appendIfFast(
        _ bytes: UnsafeBufferPointer<UInt8>, with writer: MessageFactory.RecordWriter, to batch: inout ProducerBatch
    ) -> Bool {
        switch kind {
        case .fundingRounds:
            guard let record = Self.fastValid(FastRecordParser.fundingRound(bytes), FastValidation.isValid) else {
                return false
            }
            return writer.append(to: &batch, key: record.key, id: record.id!) { FastRecordEncoder.write(record, into: &$0) }
        case .paperCounts:
            guard let record = Self.fastValid(FastRecordParser.paperCount(bytes), FastValidation.isValid) else {
                return false
            }
            return writer.append(to: &batch, key: record.key, id: record.id!) { FastRecordEncoder.write(record, into: &$0) }
        case .stockMoves:
            guard let record = Self.fastValid(FastRecordParser.stockMove(bytes), FastValidation.isValid) else {
                return false
            }
            return writer.append(to: &batch, key: record.key, id: record.id!) { FastRecordEncoder.write(record, into: &$0) }
        }
    }

    /// A record the fast parser read, when valid (`FastValidation`'s quick yes, else its own `validate()`), with
    /// `id` set to its effective id (the records' own `effectiveID` and `key` have ASCII fast paths of their own).
    private static func fastValid<Record: InputRecord>(_ parsed: Record?, _ isValid: (Record) -> Bool) -> Record? {
        guard var record = parsed, isValid(record) || record.validate().isEmpty else { return nil }
        record.id = record.effectiveID
        return record
    }

    private static func outcome<Record: InputRecord>(_ record: Record, _ encode: (Record) -> [UInt8]?) -> RecordOutcome? {
        encode(record).map { .valid(key: record.key, value: $0, id: record.id!) }
    }

    /// The Foundation path: `KakusaJSON.decodeValid`, then `KakusaJSON.encode` with the effective id.
    static func decode<Record: InputRecord>(
        _ type: Record.Type, _ bytes: ArraySlice<UInt8>, kind: InputKind
    ) -> RecordOutcome {
        do {
            var record = try KakusaJSON.decodeValid(type, from: bytes)
            record.id = record.effectiveID
            return .valid(key: record.key, value: try KakusaJSON.encode(record), id: record.effectiveID)
        } catch let failure as ValidationFailure {
            let key = (try? KakusaJSON.decode(type, from: bytes))?.key ?? Self.looseKey(bytes, kind: kind)
            return .invalid(issues: failure.issues, key: key.flatMap { $0.isEmpty ? nil : $0 })
        } catch {
            return .invalid(issues: [ValidationIssue(decodingError: error)], key: Self.looseKey(bytes, kind: kind))
        }
    }

    /// The key of a record that does not decode, from whatever key fields it has.
    static func looseKey(_ bytes: ArraySlice<UInt8>, kind: InputKind) -> String? {
        guard let value = try? KakusaJSON.decode(JSONValue.self, from: bytes) else { return nil }
        switch kind {
        case .fundingRounds:
            guard let company = value["company"]?.stringValue, !Slug.make(company).isEmpty else { return nil }
            return Slug.make(company)
        case .paperCounts:
            guard let institution = value["institution"]?.stringValue, let year = value["year"]?.doubleValue,
                let whole = Int(exactly: year), !Slug.make(institution).isEmpty
            else { return nil }
            return "\(Slug.make(institution))-\(whole)"
        case .stockMoves:
            guard let symbol = value["symbol"]?.stringValue else { return nil }
            let key = RecordID.canonical(symbol).uppercased()
            return key.isEmpty ? nil : key
        }
    }

    static func isValidUTF8(_ bytes: ArraySlice<UInt8>) -> Bool {
        // Pure ASCII is the common case and needs no decoding.
        if bytes.allSatisfy({ $0 < 0x80 }) { return true }
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}
