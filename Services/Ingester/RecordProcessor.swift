import Foundation
import KakusaEvents

/// Turns the bytes of one JSON record into a `RecordOutcome`: decode, validate, fill in `id`, encode.
///
/// The fast path is `FastRecordParser` (a strict byte-level scanner for the three input types); anything it does
/// not handle, and every invalid record, goes through `JSONDecoder` so the issues are the house's issues.
struct RecordProcessor: Sendable {
    let kind: InputKind

    func process(_ bytes: ArraySlice<UInt8>) -> RecordOutcome {
        guard Self.isValidUTF8(bytes) else {
            return .invalid(
                issues: [ValidationIssue(field: "", code: "invalid_utf8", reason: "is not valid UTF-8")], key: nil)
        }
        if let fast = fastPath(bytes) { return fast }
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
                guard var record = FastRecordParser.fundingRound(buffer),
                    FastValidation.isValid(record) || record.validate().isEmpty
                else { return nil }
                return Self.identified(&record) { FastRecordEncoder.encode($0) }
            case .paperCounts:
                guard var record = FastRecordParser.paperCount(buffer),
                    FastValidation.isValid(record) || record.validate().isEmpty
                else { return nil }
                return Self.identified(&record) { FastRecordEncoder.encode($0) }
            case .stockMoves:
                guard var record = FastRecordParser.stockMove(buffer),
                    FastValidation.isValid(record) || record.validate().isEmpty
                else { return nil }
                return Self.identified(&record) { FastRecordEncoder.encode($0) }
            }
        }
    }

    /// The record with its effective id, as `encode` writes it, under its key (ids and keys by the records' own
    /// `effectiveID` and `key`, whose slugs and canonical forms have ASCII fast paths of their own).
    private static func identified<Record: InputRecord>(
        _ record: inout Record, _ encode: (Record) -> [UInt8]?
    ) -> RecordOutcome? {
        let id = record.effectiveID
        record.id = id
        return encode(record).map { .valid(key: record.key, value: $0, id: id) }
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
