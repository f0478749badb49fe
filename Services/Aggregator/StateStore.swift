import KakusaEvents
import KakusaKafka

/// All the aggregator's state: the three derivations and, per input partition, the last input offset applied.
///
/// A value type, so the Kafka loop keeps the state from before a batch as a cheap copy-on-write snapshot and puts it
/// back when the transaction aborts. It persists as records of one compacted changelog topic, one record per
/// entry, keyed `<store>:<key>`:
///
/// - `valuation:<company slug>:<funding round id>` → ``ValuationChanges/Entry``
/// - `paper:<year>:<institution slug>` → ``PaperTotals/Count``
/// - `move:<date>:<stock move id>` → ``MarketDays/Move``
/// - `offset:<topic>:<partition>` → the last applied offset, as decimal text
///
/// The applied offsets make a restart exact where transactions alone are not (the devbroker neither hides aborted
/// transactions nor stores transactional offset commits): input at or below them is skipped.
struct StateStore: Sendable, Equatable {
    var valuations = ValuationChanges()
    var papers = PaperTotals()
    var markets = MarketDays()
    /// Input partition → the offset of the last record applied.
    var appliedOffsets: [TopicPartition: Int64] = [:]

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
            case "valuation": valuations.restore(try KakusaJSON.decode(ValuationChanges.Entry.self, from: value))
            case "paper": papers.restore(try KakusaJSON.decode(PaperTotals.Count.self, from: value))
            case "move": markets.restore(try KakusaJSON.decode(MarketDays.Move.self, from: value))
            case "offset":
                guard let partition = Self.partition(fromOffsetKey: key),
                    let offset = Int64(String(decoding: value, as: UTF8.self))
                else { return false }
                appliedOffsets[partition] = max(offset, appliedOffsets[partition] ?? -1)
            default: return false
            }
            return true
        } catch {
            return false
        }
    }

    static func key(_ entry: ValuationChanges.Entry) -> String { "valuation:\(entry.slug):\(entry.fundingRoundID)" }
    static func key(_ count: PaperTotals.Count) -> String { "paper:\(count.year):\(count.institution)" }
    static func key(_ move: MarketDays.Move) -> String { "move:\(move.date):\(move.id)" }
    static func offsetKey(_ partition: TopicPartition) -> String { "offset:\(partition.topic):\(partition.partition)" }

    /// The partition named by `offset:<topic>:<partition>` (topic names cannot contain `:`).
    static func partition(fromOffsetKey key: String) -> TopicPartition? {
        let parts = key.split(separator: ":")
        guard parts.count == 3, parts[0] == "offset", let partition = Int32(parts[2]) else { return nil }
        return TopicPartition(topic: String(parts[1]), partition: partition)
    }
}
