import Foundation
import KakusaEvents
import KakusaKafka
import KakusaService

/// Turns one batch of input records into the records to publish and the changelog records that persist the new
/// state. Pure apart from the clock in headers: the Kafka loop wraps each call in one transaction.
///
/// Scale-out: funding rounds are keyed by company, so a company's rounds all reach one instance. Paper counts
/// (keyed by institution) and stock moves (keyed by symbol) are not: a country-year or a date needs all of them.
/// They are first validated and re-keyed, by year and by date, onto internal repartition topics that the same group
/// consumes; the totals are derived from those, so the result does not depend on which instance owned which input
/// partition.
struct BatchDeriver: Sendable {
    var topics: Topics
    var rates: FXRates
    var source = CloudEventHeaders.serviceSource("aggregator")

    /// How many chunks the parallel passes cut a batch into (the cores, by default).
    var parallelism = ProcessInfo.processInfo.activeProcessorCount

    /// What one batch gives, laid out in batches of records (a record costs no allocation of its own).
    struct Result: Sendable {
        /// Derived records, dead letters and repartitioned records: written first.
        var outputs = ProducerBatch()
        /// State entries: written once the outputs are acknowledged.
        var stateRecords = ProducerBatch()
        /// Applied offsets: written once the entries are, so that a visible offset record means its batch is whole
        /// on the changelog even where an unfinished transaction shows.
        var offsetRecords = ProducerBatch()
        var derived = 0
        var deadLetters = 0
        var skipped = 0
        /// Per chunk of a parallel pass, its records before they join the batch's: the last pass's outputs, the
        /// second pass's state records.
        fileprivate var chunks: [(outputs: ProducerBatch, stateRecords: ProducerBatch)] = []
        /// The passes' working arrays, a slot per input record, reused like the buffers: made afresh, the prepared
        /// rounds were copied once more (joining the chunks) into new pages every batch.
        fileprivate var prepared: [Prepared] = []
        /// A funding round's slot: its round, where `prepared` says `.round`, read where it lies (not copied out of
        /// an enum's payload: the copies and their releases had been a tenth of the derivation).
        fileprivate var rounds: [PreparedRound] = []
        fileprivate var steps: [Step] = []

        /// Empties it, keeping the capacity of its buffers.
        mutating func removeAll() {
            outputs.removeAll(keepingCapacity: true)
            stateRecords.removeAll(keepingCapacity: true)
            offsetRecords.removeAll(keepingCapacity: true)
            prepared.removeAll(keepingCapacity: true)
            rounds.removeAll(keepingCapacity: true)
            steps.removeAll(keepingCapacity: true)
            (derived, deadLetters, skipped) = (0, 0, 0)
        }

        /// Gives the parallel passes `count` empty chunk buffers.
        fileprivate mutating func prepareChunks(_ count: Int) {
            while chunks.count < count { chunks.append((ProducerBatch(), ProducerBatch())) }
            for chunk in 0..<count {
                chunks[chunk].outputs.removeAll(keepingCapacity: true)
                chunks[chunk].stateRecords.removeAll(keepingCapacity: true)
            }
        }

        /// Every changelog record of the batch, entries then offsets.
        var changelog: [ProducerMessage] { stateRecords.messages + offsetRecords.messages }
    }

    /// A funding round after the first, parallel pass.
    fileprivate enum Prepared {
        /// Decoded, checked and converted: its slot in `Result.rounds` holds it.
        case round
        case rejected([ValidationIssue])
        /// Not a funding round, or one already applied.
        case none
    }

    /// A funding round decoded, checked and converted: its history entry (without its `sequence`), slug and shard.
    fileprivate struct PreparedRound {
        var entry: ValuationChanges.Entry
        var slug: String
        var shard: Int

        /// What fills the slots of records that are no funding round.
        static let empty = PreparedRound(
            entry: ValuationChanges.Entry(
                fundingRoundID: "", company: "", country: "", round: nil, announcedOn: "",
                valuation: Money(amount: 0, currency: ""), valuationUSD: 0, sequence: 0),
            slug: "", shard: 0)
    }

    /// What the state made of a funding round, for the last, parallel pass: a few words, as that pass reads the
    /// round itself from `prepared` and builds its change there.
    fileprivate enum Step {
        /// Nothing to publish: not a round, a duplicate, or an older round (its entry is in the state records).
        case none
        case deadLetter([ValidationIssue])
        /// The newest round of its company: the previous USD valuation (nil for the first) and its entry's sequence.
        case newest(previousUSD: Double?, sequence: Int)
    }

    /// Applies `batch` to `state` and returns what to write.
    func derive(_ batch: [KafkaMessage], state: inout StateStore) -> Result {
        var result = Result()
        derive(batch, state: &state, into: &result)
        return result
    }

    /// The same into `result`, emptied first: the loop hands in the buffers of a batch already written, so that
    /// a batch allocates (and faults in) no new memory for its records.
    ///
    /// Funding rounds, nearly all of the input, go in three passes on all cores: decode, check and convert them;
    /// apply them to the state, each core the companies of its shards, in input order; build the changes (ids,
    /// JSON, headers) and state records, each chunk into its own buffers, joined in input order. The rest is
    /// applied in input order on one core.
    func derive(_ batch: [KafkaMessage], state: inout StateStore, into result: inout Result) {
        result.removeAll()
        let time = RFC3339.string(from: Date())
        let stateTopic = topics.aggregatorState
        let chunks = ParallelChunks(count: batch.count, parallelism: parallelism)
        // Records are read in place: a copy of each would retain its topic name, shared by every record, from both
        // cores at once.
        let roundsTopic = topics.fundingRounds
        let isRound = batch.withUnsafeBufferPointer { messages in
            messages.indices.map { messages[$0].topic == roundsTopic }
        }
        result.prepared.append(contentsOf: repeatElement(.none, count: batch.count))
        result.rounds.append(contentsOf: repeatElement(.empty, count: batch.count))
        batch.withUnsafeBufferPointer { messages in
            result.prepared.withUnsafeMutableBufferPointer { prepared in
                result.rounds.withUnsafeMutableBufferPointer { rounds in
                    chunks.forEach { _, range in  // each chunk fills its own slots
                        for index in range where isRound[index] {
                            prepared[index] = prepare(messages[index].value ?? [], into: &rounds[index])
                        }
                    }
                }
            }
        }
        let prepared = result.prepared
        let preparedRounds = result.rounds

        result.steps.append(contentsOf: repeatElement(.none, count: batch.count))
        var rounds: [(index: Int, shard: Int)] = []  // the funding rounds to apply, in input order
        rounds.reserveCapacity(batch.count)
        var yearsBefore: [Int: [CountryPaperTotals]] = [:]
        var daysBefore: [String: MarketDay?] = [:]
        // Papers and moves: one record per key, the last state of the batch. A valuation entry is new every time
        // (a round seen before is a duplicate and changes nothing), so it is written as it comes.
        var changelog: [String: [UInt8]] = [:]
        var applied = AppliedRun()
        var yearInputs: [Int: KafkaHeader] = [:]
        var dayInputs: [String: KafkaHeader] = [:]

        // Read in place: a copy of a record retains its buffers.
        batch.withUnsafeBufferPointer { batch in
            for index in batch.indices {
                if applied.isApplied(batch[index].topic, batch[index].partition, batch[index].offset, state: &state) {
                    result.skipped += 1
                    continue
                }
                if isRound[index] {  // applied and written below, on every core; the record itself is not copied
                    switch prepared[index] {
                    case .round: rounds.append((index, preparedRounds[index].shard))
                    case .rejected(let issues): result.steps[index] = .deadLetter(issues)
                    case .none: break
                    }
                    continue
                }
                let message = batch[index]
                let outputsBefore = result.outputs.count
                let bytes = message.value ?? []
                switch message.topic {
                case topics.paperCounts:
                    if let count = decode(PaperCount.self, message, into: &result.outputs, deadLetters: &result.deadLetters) {
                        result.outputs.append(
                            topic: topics.paperCountsByYear, key: String(count.year).utf8, value: bytes, headers: message.headers)
                    }
                case topics.stockMoves:
                    if let move = decode(StockMove.self, message, into: &result.outputs, deadLetters: &result.deadLetters) {
                        if let cap = move.marketCapChange, rates.usd(cap) == nil {
                            deadLetter(
                                message, [rates.missingRateIssue(field: "market_cap_change.currency", currency: cap.currency)],
                                into: &result.outputs, count: &result.deadLetters)
                        } else {
                            result.outputs.append(
                                topic: topics.stockMovesByDate, key: move.day.utf8, value: bytes, headers: message.headers)
                        }
                    }
                case topics.paperCountsByYear:
                    if let count = decode(PaperCount.self, message, into: &result.outputs, deadLetters: &result.deadLetters) {
                        if yearsBefore[count.year] == nil { yearsBefore[count.year] = state.papers.totals(year: count.year) }
                        yearInputs[count.year] = Self.inputHeader(message)
                        if let entry = state.papers.apply(count) {
                            changelog[StateStore.key(entry)] = try? KakusaJSON.encode(entry)
                        }
                    }
                case topics.stockMovesByDate:
                    if let move = decode(StockMove.self, message, into: &result.outputs, deadLetters: &result.deadLetters) {
                        let usd = move.marketCapChange.flatMap { rates.usd($0) }
                        if daysBefore[move.day] == nil { daysBefore[move.day] = .some(state.markets.day(move.day)) }
                        dayInputs[move.day] = Self.inputHeader(message)
                        if let entry = state.markets.apply(move, marketCapChangeUSD: usd) {
                            changelog[StateStore.key(entry)] = try? KakusaJSON.encode(entry)
                        }
                    }
                default:
                    break
                }
                // Every input gives at most one output here (totals and days come below): the header goes on the last.
                if result.outputs.count > outputsBefore {
                    result.outputs.addHeader(key: Self.inputHeaderKey) { Self.writeInputPosition(message, into: &$0) }
                }
            }
        }
        applied.end(state: &state)
        apply(rounds, prepared: preparedRounds, to: &state.valuations, result: &result)
        let steps = result.steps

        // The funding rounds' records, chunk by chunk into the chunk's own (reused) buffers, then joined in order.
        // The first chunk writes on at the end of the batch's own buffers (lent to it), so only the others' bytes
        // are copied in the join.
        result.prepareChunks(chunks.count)
        swap(&result.outputs, &result.chunks[0].outputs)
        var counts = [(derived: Int, deadLetters: Int)](repeating: (0, 0), count: chunks.count)
        result.chunks.withUnsafeMutableBufferPointer { buffers in
            counts.withUnsafeMutableBufferPointer { counts in
                batch.withUnsafeBufferPointer { messages in
                    chunks.forEach { chunk, range in
                        counts[chunk] = write(
                            steps[range], of: messages, prepared: preparedRounds, time: time,
                            outputs: &buffers[chunk].outputs)
                    }
                }
            }
        }
        swap(&result.outputs, &result.chunks[0].outputs)
        for (chunk, count) in zip(result.chunks.indices, counts) {
            if chunk > 0 { result.outputs.append(contentsOf: result.chunks[chunk].outputs) }
            result.derived += count.derived
            result.deadLetters += count.deadLetters
        }

        for (year, before) in yearsBefore.sorted(by: { $0.key < $1.key }) {
            let after = state.papers.totals(year: year)
            guard after != before else { continue }
            for totals in after {
                var record = Self.record(totals, topic: topics.countryPaperTotals, source: source)
                if let input = yearInputs[year] { record.headers.append(input) }
                result.outputs.append(record)
                result.derived += 1
            }
        }
        for (date, before) in daysBefore.sorted(by: { $0.key < $1.key }) {
            guard let after = state.markets.day(date), after != before else { continue }
            var record = Self.record(after, topic: topics.marketDays, source: source)
            if let input = dayInputs[date] { record.headers.append(input) }
            result.outputs.append(record)
            result.derived += 1
        }
        for (key, value) in changelog {
            result.stateRecords.append(topic: stateTopic, key: key.utf8, value: value)
        }
        for partition in applied.partitions.sorted(by: { ($0.topic, $0.partition) < ($1.topic, $1.partition) }) {
            guard let offset = state.appliedOffsets[partition] else { continue }
            result.offsetRecords.append(
                topic: stateTopic, key: StateStore.offsetKey(partition).utf8, value: String(offset).utf8)
        }
    }

    /// The second pass: `rounds` applied to the valuations, each core taking the rounds of its own
    /// shards in input order, so that every company sees its rounds in the order one core would have applied them.
    /// Each core then writes the state records of each company it touched: the company's rounds new in this batch,
    /// one record unless they pass ``stateRecordBytes`` (a record a round had been half the records the aggregator
    /// wrote). The records come in shard order, a shard's companies as they first came, whatever the number of
    /// cores.
    private func apply(
        _ rounds: [(index: Int, shard: Int)], prepared: [PreparedRound], to valuations: inout ValuationChanges,
        result: inout Result
    ) {
        let cores = ParallelChunks(
            count: ValuationChanges.shardCount, parallelism: rounds.count < 2048 ? 1 : parallelism, minimumChunk: 1)
        let stateTopic = topics.aggregatorState
        result.prepareChunks(cores.count)
        swap(&result.stateRecords, &result.chunks[0].stateRecords)
        valuations.withShards { shards in
            result.steps.withUnsafeMutableBufferPointer { steps in
                result.chunks.withUnsafeMutableBufferPointer { buffers in
                    prepared.withUnsafeBufferPointer { prepared in
                        cores.forEach { core, mine in
                            // A company's first round in this batch: where, and its history's length before.
                            var touched: [String: (shard: Int, first: Int, since: Int)] = [:]
                            // Only the owner of a round reads it: a record's strings are never retained from two cores.
                            for (index, shard) in rounds where mine.contains(shard) {
                                let sequence: Int
                                switch shards[shard].insert(prepared[index].entry, slug: prepared[index].slug) {
                                case .newest(let previousUSD, let newest):
                                    steps[index] = .newest(previousUSD: previousUSD, sequence: newest)
                                    sequence = newest
                                case .late(let late): sequence = late
                                case .duplicate: continue
                                }
                                // Inserted as it is first met, kept after: one lookup a round.
                                Self.keep(&touched[prepared[index].slug, default: (shard, index, sequence)])
                            }
                            var key: [UInt8] = []
                            let order = touched.sorted {
                                ($0.value.shard, $0.value.first) < ($1.value.shard, $1.value.first)
                            }
                            for (slug, company) in order {
                                guard let history = shards[company.shard].histories[slug] else { continue }
                                Self.writeEntries(
                                    of: history.entries, since: company.since, slug: slug, topic: stateTopic,
                                    key: &key, into: &buffers[core].stateRecords)
                            }
                        }
                    }
                }
            }
        }
        swap(&result.stateRecords, &result.chunks[0].stateRecords)
        for chunk in 1..<cores.count { result.stateRecords.append(contentsOf: result.chunks[chunk].stateRecords) }
    }

    /// Leaves `value` as it is: an access through a dictionary's `default:` subscript stores the default when the
    /// key is missing.
    @inline(__always)
    private static func keep<Value>(_ value: inout Value) {}

    /// The state records of a company's rounds new in this batch, those of its history from sequence `since` on,
    /// in history order: as many as it takes to keep each under ``stateRecordBytes`` (a busy company's rounds of a
    /// batch would otherwise pass Kafka's message size limit and fail the batch for good), each keyed by its first
    /// round (see ``StateStore``).
    private static func writeEntries(
        of entries: [ValuationChanges.Entry], since: Int, slug: String, topic: String, key: inout [UInt8],
        into records: inout ProducerBatch
    ) {
        var next = entries.startIndex
        while true {
            while next < entries.endIndex && entries[next].sequence < since { next += 1 }
            guard next < entries.endIndex else { return }
            StateStore.writeKey(slug: slug, firstRoundID: entries[next].fundingRoundID, into: &key)
            records.append(topic: topic, key: key) { buffer in
                let start = buffer.count
                buffer.append(UInt8(ascii: "["))
                FastJSON.write(entries[next], into: &buffer)
                next += 1
                while next < entries.endIndex && buffer.count - start < stateRecordBytes {
                    if entries[next].sequence >= since {
                        buffer.append(UInt8(ascii: ","))
                        FastJSON.write(entries[next], into: &buffer)
                    }
                    next += 1
                }
                buffer.append(UInt8(ascii: "]"))
                return true
            }
        }
    }

    /// A state record is closed once its value reaches this many bytes: a quarter of librdkafka's and Kafka's
    /// default largest message (~1 MB), so that it ends below that with one more entry of any record that got in.
    static let stateRecordBytes = 256 * 1024

    /// The first pass over a funding round's value: decoded, checked and converted into `slot`, or why not.
    private func prepare(_ bytes: [UInt8], into slot: inout PreparedRound) -> Prepared {
        let round: FundingRound
        if let fast = FastRecordParser.fundingRound(bytes) {
            let issues = fast.validate()
            guard issues.isEmpty else { return .rejected(issues) }
            round = fast
        } else {
            // Anything but plain input, bad input included, through `KakusaJSON` for its errors.
            do {
                round = try KakusaJSON.decodeValid(FundingRound.self, from: bytes)
            } catch {
                return .rejected(error.issues)
            }
        }
        guard let usd = rates.usd(round.valuation) else {
            return .rejected([rates.missingRateIssue(field: "valuation.currency", currency: round.valuation.currency)])
        }
        let slug = Slugs.make(round.company)
        slot = PreparedRound(
            entry: ValuationChanges.Entry(round, id: round.effectiveID, valuationUSD: usd, sequence: 0), slug: slug,
            shard: ValuationChanges.shard(of: slug))
        return .round
    }

    /// The last pass over a chunk of funding rounds: the changes and dead letters they give.
    private func write(
        _ steps: ArraySlice<Step>, of batch: UnsafeBufferPointer<KafkaMessage>, prepared: [PreparedRound], time: String,
        outputs: inout ProducerBatch
    ) -> (derived: Int, deadLetters: Int) {
        var derived = 0
        var deadLetters = 0
        // This chunk's own bytes and names: bytes shared by the chunks would be retained from every core at once,
        // and a topic name is made anew (an allocation) each time `topics` is asked.
        let topic = Array(topics.fundingRounds.utf8)
        let changesTopic = topics.valuationChanges
        let headers = CloudEventsHeaderTemplate(
            source: source, type: ValuationChange.eventType, time: time, in: &outputs)
        // A change's id, as 32 hex digits in a buffer of the chunk's: no String an id.
        var idFields = CanonicalFields(type: "")
        var id: [UInt8] = []
        id.reserveCapacity(32)
        for index in steps.indices {
            if case .deadLetter(let issues) = steps[index] {
                deadLetter(batch[index], issues, into: &outputs, count: &deadLetters)
                outputs.addHeader(key: Self.inputHeaderKey) {
                    Self.writeInputPosition(topic, batch[index].partition, batch[index].offset, into: &$0)
                }
                continue
            }
            // The change is built here, on this chunk's core, from the prepared round.
            switch steps[index] {
            case .none, .deadLetter:
                continue
            case .newest(let previousUSD, let sequence):
                let entry = Self.entry(prepared, index, sequence: sequence)
                ValuationChange.idFields(fundingRoundID: entry.fundingRoundID, into: &idFields)
                id.removeAll(keepingCapacity: true)
                idFields.appendID(to: &id)
                outputs.append(topic: changesTopic, key: prepared[index].slug.utf8) { buffer in
                    FastJSON.writeChange(of: entry, previousUSD: previousUSD, id: id, into: &buffer)
                    return true
                }
                headers.add(to: &outputs) { $0.append(contentsOf: id) }
                outputs.addHeader(key: Self.inputHeaderKey) {
                    Self.writeInputPosition(topic, batch[index].partition, batch[index].offset, into: &$0)
                }
                derived += 1
            }
        }
        return (derived, deadLetters)
    }

    /// The history entry of the round in slot `index`.
    private static func entry(_ prepared: [PreparedRound], _ index: Int, sequence: Int) -> ValuationChanges.Entry {
        var entry = prepared[index].entry
        entry.sequence = sequence
        return entry
    }

    /// The applied offsets as the loop goes: a batch holds runs of records of one partition, so the state's
    /// dictionary is read and written once a run instead of once a record.
    private struct AppliedRun {
        var partition: TopicPartition?
        var applied: Int64?
        var last: Int64?
        var partitions: Set<TopicPartition> = []

        /// Whether the record at `offset` was applied before; if not, it counts as applied from now on.
        mutating func isApplied(_ topic: String, _ partition: Int32, _ offset: Int64, state: inout StateStore) -> Bool {
            if self.partition?.partition != partition || self.partition?.topic != topic {
                end(state: &state)
                let next = TopicPartition(topic: topic, partition: partition)
                self.partition = next
                applied = state.appliedOffsets[next]
            }
            if let applied, offset <= applied { return true }
            applied = offset
            last = offset
            return false
        }

        /// Writes the run's last applied offset to the state.
        mutating func end(state: inout StateStore) {
            guard let partition, let last else { return }
            state.appliedOffsets[partition] = last
            partitions.insert(partition)
            self.last = nil
        }
    }

    /// The header naming the input record an output came from (for totals and days: the batch's last input of that
    /// year or date), `<topic>:<partition>:<offset>`: after a crash, it tells whether an output already on a topic
    /// came from input the state has applied (see ``PendingOutputs``).
    static let inputHeaderKey = "kakusa.input"

    static func inputHeader(_ message: KafkaMessage) -> KafkaHeader {
        var value: [UInt8] = []
        writeInputPosition(message, into: &value)
        return KafkaHeader(key: inputHeaderKey, value: value)
    }

    /// The value of ``inputHeader(_:)``, written in place (read back by ``inputPosition(_:)``).
    static func writeInputPosition(_ message: KafkaMessage, into bytes: inout [UInt8]) {
        writeInputPosition(message.topic.utf8, message.partition, message.offset, into: &bytes)
    }

    static func writeInputPosition(
        _ topic: some Collection<UInt8>, _ partition: Int32, _ offset: Int64, into bytes: inout [UInt8]
    ) {
        JSONWriter.append(to: &bytes) { writer in
            writer.bytes.append(contentsOf: topic)
            writer.bytes.append(UInt8(ascii: ":"))
            writer.number(Int(partition))
            writer.bytes.append(UInt8(ascii: ":"))
            writer.number(Int(offset))
        }
    }

    /// The input position named by an `kakusa.input` header value.
    static func inputPosition(_ value: String) -> (TopicPartition, Int64)? {
        let parts = value.split(separator: ":")
        guard parts.count == 3, let partition = Int32(parts[1]), let offset = Int64(parts[2]) else { return nil }
        return (TopicPartition(topic: String(parts[0]), partition: partition), offset)
    }

    /// The record, or nil after adding a dead letter for it.
    private func decode<Record: KakusaRecord>(
        _ type: Record.Type, _ message: KafkaMessage, into outputs: inout ProducerBatch, deadLetters: inout Int
    ) -> Record? {
        do {
            return try KakusaJSON.decodeValid(type, from: message.value ?? [])
        } catch {
            deadLetter(message, error.issues, into: &outputs, count: &deadLetters)
            return nil
        }
    }

    private func deadLetter(
        _ message: KafkaMessage, _ issues: [ValidationIssue], into outputs: inout ProducerBatch, count: inout Int
    ) {
        let headers = DeadLetterHeaders(
            issues: issues, service: "aggregator", originalTopic: message.topic,
            originalPartition: Int(message.partition), originalOffset: message.offset)
        outputs.append(
            topic: topics.deadLetters, key: message.key, value: message.value,
            headers: message.headers + headers.headers.map { KafkaHeader(key: $0.key, value: $0.value) })
        count += 1
    }

    /// A derived record with its CloudEvents headers.
    static func record<Record: KakusaRecord>(_ record: Record, topic: String, source: String) -> ProducerMessage {
        let headers = CloudEventHeaders(for: record, source: source).headers.map { KafkaHeader(key: $0.key, value: $0.value) }
        return ProducerMessage(
            topic: topic, key: Array(record.key.utf8), value: (try? KakusaJSON.encode(record)) ?? [], headers: headers)
    }
}
