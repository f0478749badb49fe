import KakusaEvents
import KakusaKafka

/// All the aggregator's state: the three derivations and, per input partition, the last input offset applied.
///
/// The Kafka loop changes it in place (see ``StateView``); after an aborted transaction it is restored from the
/// changelog. It persists as records of one compacted changelog topic, one record per
/// entry, keyed `<store>:<key>`:
///
/// - `valuation:<company slug>:<funding round id>` → the ``ValuationChanges/Entry`` values of the company's rounds
///   that one batch added, a JSON array in history order (more than one record when they pass 256 KiB), keyed by its
///   first round (a round is new in one batch only, so keys do not collide; a round found in two records, after a
///   rewind, is the same entry). Each entry is a positional array (see ``FastJSON/write(_:into:)``); entries as
///   objects, and a single entry a record, the formats before December 2026, are read too. A binary from before
///   then cannot read the new records (it counts them unreadable): roll back only with the changelog it wrote.
/// - `paper:<year>:<institution slug>` → ``PaperTotals/Count``
/// - `move:<date>:<stock move id>` → ``MarketDays/Move``
/// - `offset:<topic>:<partition>` → the last applied offset, as decimal text
/// - `outpos:<transactional id>:<topic>:<partition>` → where that instance's latest transaction could start writing
///   to that output partition (its end before the transaction, or an earlier unresolved output), as decimal text
///
/// The applied offsets make a restart exact where transactions alone are not (the devbroker neither hides aborted
/// transactions nor stores transactional offset commits): input at or below them is skipped. The output ends say
/// where the outputs of an unfinished transaction can start: a restart reads the outputs from there and does not
/// write them again (see ``PendingOutputs``).
struct StateStore: Sendable, Equatable {
    var valuations = ValuationChanges()
    var papers = PaperTotals()
    var markets = MarketDays()
    /// Input partition → the offset of the last record applied.
    var appliedOffsets: [TopicPartition: Int64] = [:]
    /// Transactional id → output partition → its end before that instance's latest transactions.
    var outputEnds: [String: [TopicPartition: Int64]] = [:]

    /// Per output partition, where the outputs of any instance's unfinished transaction can start: the earliest of
    /// the instances' noted ends. A partition no instance noted is read from its beginning.
    var unfinishedOutputStarts: [TopicPartition: Int64] {
        var starts: [TopicPartition: Int64] = [:]
        for ends in outputEnds.values {
            for (partition, end) in ends { starts[partition] = min(end, starts[partition] ?? .max) }
        }
        return starts
    }

    /// Whether the record at `offset` of `partition` was already applied (before a restart or a rewind).
    func isApplied(_ partition: TopicPartition, offset: Int64) -> Bool {
        guard let applied = appliedOffsets[partition] else { return false }
        return offset <= applied
    }

    /// Applies one changelog record; returns false for a record it does not understand (logged by the caller).
    @discardableResult
    mutating func restore(key: String, value: [UInt8]?) -> Bool {
        guard let value else { return true }  // a tombstone: nothing is ever deleted today
        do {
            switch key.prefix(while: { $0 != ":" }) {
            case "valuation":
                if value.first == UInt8(ascii: "[") {
                    for entry in try KakusaJSON.decode([ValuationChanges.Entry].self, from: value) {
                        valuations.restore(entry)
                    }
                } else {
                    valuations.restore(try KakusaJSON.decode(ValuationChanges.Entry.self, from: value))
                }
            case "paper": papers.restore(try KakusaJSON.decode(PaperTotals.Count.self, from: value))
            case "move": markets.restore(try KakusaJSON.decode(MarketDays.Move.self, from: value))
            case "offset":
                guard let partition = Self.partition(fromOffsetKey: key),
                    let offset = Int64(String(decoding: value, as: UTF8.self))
                else { return false }
                appliedOffsets[partition] = max(offset, appliedOffsets[partition] ?? -1)
            case "outpos":
                guard let (instance, partition) = Self.outputEnd(fromKey: key),
                    let end = Int64(String(decoding: value, as: UTF8.self))
                else { return false }
                outputEnds[instance, default: [:]][partition] = end  // the latest wins: it may go back
            default: return false
            }
            return true
        } catch {
            return false
        }
    }

    /// The key of a company's valuation entries, `valuation:<slug>:<funding round id>`, written into `bytes`, which
    /// it replaces (a key a record without a string a record).
    static func writeKey(slug: String, firstRoundID: String, into bytes: inout [UInt8]) {
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: "valuation:".utf8)
        bytes.append(contentsOf: slug.utf8)
        bytes.append(UInt8(ascii: ":"))
        bytes.append(contentsOf: firstRoundID.utf8)
    }

    static func key(_ count: PaperTotals.Count) -> String { "paper:\(count.year):\(count.institution)" }
    static func key(_ move: MarketDays.Move) -> String { "move:\(move.date):\(move.id)" }
    static func offsetKey(_ partition: TopicPartition) -> String { "offset:\(partition.topic):\(partition.partition)" }

    static func outputEndKey(instance: String, _ partition: TopicPartition) -> String {
        "outpos:\(instance):\(partition.topic):\(partition.partition)"
    }

    /// The instance and partition named by `outpos:<instance>:<topic>:<partition>`, read from the right (topic
    /// names cannot contain `:`, an instance name might).
    static func outputEnd(fromKey key: String) -> (String, TopicPartition)? {
        guard key.hasPrefix("outpos:"), let last = key.lastIndex(of: ":"),
            let partition = Int32(key[key.index(after: last)...])
        else { return nil }
        let rest = key[key.index(key.startIndex, offsetBy: 7)..<last]
        guard let colon = rest.lastIndex(of: ":") else { return nil }
        let instance = String(rest[..<colon])
        let topic = String(rest[rest.index(after: colon)...])
        guard !instance.isEmpty, !topic.isEmpty else { return nil }
        return (instance, TopicPartition(topic: topic, partition: partition))
    }

    /// The partition named by `offset:<topic>:<partition>` (topic names cannot contain `:`).
    static func partition(fromOffsetKey key: String) -> TopicPartition? {
        let parts = key.split(separator: ":")
        guard parts.count == 3, parts[0] == "offset", let partition = Int32(parts[2]) else { return nil }
        return TopicPartition(topic: String(parts[1]), partition: partition)
    }
}
