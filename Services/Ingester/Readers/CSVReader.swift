import Foundation
import KakusaEvents

/// CSV with a header row of the contract's field names: lists separated by `;`, nested money as
/// `valuation.amount` and `valuation.currency`. Quoted fields (RFC 4180) are accepted; a field may not span lines.
/// Each row is rewritten as a JSON object and decoded like any other record.
final class CSVReader: RecordReader {
    enum ColumnType {
        case string, optionalString, number, list
    }

    private let lines: LineReader
    private let kind: InputKind
    private let file: String
    private var header: [String]?
    var source: ByteSource { lines.source }

    init(source: ByteSource, file: String, kind: InputKind) {
        lines = LineReader(source: source, file: file)
        self.kind = kind
        self.file = file
    }

    static func columns(of kind: InputKind) -> [String: ColumnType] {
        switch kind {
        case .fundingRounds:
            [
                "company": .string, "country": .string, "round": .optionalString, "valuation.amount": .number,
                "valuation.currency": .string, "raised.amount": .number, "raised.currency": .string,
                "investors": .list, "announced_on": .string, "source": .optionalString, "id": .optionalString,
            ]
        case .paperCounts:
            [
                "institution": .string, "country": .string, "year": .number, "authors": .number, "rank": .number,
                "source": .optionalString, "id": .optionalString,
            ]
        case .stockMoves:
            [
                "symbol": .string, "name": .optionalString, "kind": .string, "at": .string, "change_pct": .number,
                "close": .number, "market_cap_change.amount": .number, "market_cap_change.currency": .string,
                "source": .optionalString, "id": .optionalString,
            ]
        }
    }

    func nextBatch() throws(ReaderError) -> [RawRecord]? {
        guard let (bytes, lines) = try lines.next() else { return nil }
        var records: [RawRecord] = []
        records.reserveCapacity(lines.count)
        for line in lines {
            let slice = bytes[line.range]
            if !line.truncated && isBlank(slice) { continue }
            guard let header else {
                self.header = try readHeader(slice, line: line.number)
                continue
            }
            if line.truncated {
                records.append(.tooLong(line: line.number, bytes: slice, limit: self.lines.maxLineBytes))
                continue
            }
            guard RecordProcessor.isValidUTF8(slice) else {
                let issue = ValidationIssue(field: "", code: "invalid_utf8", reason: "is not valid UTF-8")
                records.append(RawRecord(line: line.number, json: slice, original: slice, issue: issue))
                continue
            }
            let cells = Self.split(slice)
            guard cells.count == header.count else {
                let issue = ValidationIssue(
                    field: "", code: "wrong_column_count",
                    reason: "has \(cells.count) columns, the header has \(header.count)")
                records.append(RawRecord(line: line.number, json: slice, original: slice, issue: issue))
                continue
            }
            records.append(RawRecord(line: line.number, json: json(header: header, cells: cells)[...],
                                     original: slice, issue: nil))
        }
        return records
    }

    private func readHeader(_ bytes: ArraySlice<UInt8>, line: Int) throws(ReaderError) -> [String] {
        let names = Self.split(bytes).map { $0.trimmingCharacters(in: .whitespaces) }
        let known = Self.columns(of: kind)
        let unknown = names.filter { known[$0] == nil }
        guard unknown.isEmpty else {
            throw ReaderError(
                code: .badHeader, file: file,
                message: "line \(line): unknown column(s) \(unknown.joined(separator: ", ")) for \(kind.rawValue); "
                    + "expected \(known.keys.sorted().joined(separator: ", "))")
        }
        return names
    }

    /// The row as a JSON object; empty cells of optional fields are left out.
    private func json(header: [String], cells: [String]) -> [UInt8] {
        let types = Self.columns(of: kind)
        var top: [(String, [UInt8])] = []
        var nested: [String: [(String, [UInt8])]] = [:]
        var nestedOrder: [String] = []
        for (name, cell) in zip(header, cells) {
            let type = types[name] ?? .optionalString
            let trimmed = cell.trimmingCharacters(in: .whitespaces)
            var value: [UInt8] = []
            switch type {
            case .string:
                JSONBytes.appendString(cell, to: &value)
                if trimmed.isEmpty && name.contains(".") { continue }
            case .optionalString:
                if trimmed.isEmpty { continue }
                JSONBytes.appendString(cell, to: &value)
            case .number:
                if trimmed.isEmpty { continue }
                if let number = Double(trimmed), number.isFinite {
                    value = Array(number.description.utf8)
                } else {
                    JSONBytes.appendString(cell, to: &value)
                }
            case .list:
                value = [UInt8(ascii: "[")]
                let items = trimmed.isEmpty ? [] : cell.split(separator: ";", omittingEmptySubsequences: false)
                for (index, item) in items.enumerated() {
                    if index > 0 { value.append(UInt8(ascii: ",")) }
                    JSONBytes.appendString(item.trimmingCharacters(in: .whitespaces), to: &value)
                }
                value.append(UInt8(ascii: "]"))
            }
            if let dot = name.firstIndex(of: ".") {
                let parent = String(name[..<dot])
                if nested[parent] == nil { nestedOrder.append(parent) }
                nested[parent, default: []].append((String(name[name.index(after: dot)...]), value))
            } else {
                top.append((name, value))
            }
        }
        for parent in nestedOrder {
            guard let fields = nested[parent], !fields.isEmpty else { continue }
            top.append((parent, Self.object(fields)))
        }
        return Self.object(top)
    }

    private static func object(_ fields: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (index, (name, value)) in fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONBytes.appendString(name, to: &out)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: value)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Splits a CSV row at commas outside double quotes; `""` inside quotes is a quote.
    static func split(_ bytes: ArraySlice<UInt8>) -> [String] {
        var cells: [String] = []
        var cell: [UInt8] = []
        var quoted = false
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if quoted {
                if byte == 0x22 {
                    if index + 1 < bytes.endIndex && bytes[index + 1] == 0x22 {
                        cell.append(0x22)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    cell.append(byte)
                }
            } else if byte == 0x22 {
                quoted = true
            } else if byte == 0x2C {
                cells.append(String(decoding: cell, as: UTF8.self))
                cell.removeAll(keepingCapacity: true)
            } else {
                cell.append(byte)
            }
            index += 1
        }
        cells.append(String(decoding: cell, as: UTF8.self))
        return cells
    }
}
