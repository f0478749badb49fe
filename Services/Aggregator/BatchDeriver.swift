import Foundation
import KakusaEvents
import KakusaKafka

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

    /// What one batch gives.
    struct Result: Sendable {
        /// Derived records, dead letters and repartitioned records: written first.
        var outputs: [ProducerMessage] = []
        /// State entries, then applied offsets (from `offsetRecordsStart` on): the entries are written once the
        /// outputs are acknowledged, the offsets once the entries are, so that a visible offset record means its
        /// batch is whole on the changelog even where an unfinished transaction shows.
        var changelog: [ProducerMessage] = []
        var offsetRecordsStart = 0
        var stateRecords: ArraySlice<ProducerMessage> { changelog[..<offsetRecordsStart] }
        var offsetRecords: ArraySlice<ProducerMessage> { changelog[offsetRecordsStart...] }
        var derived = 0
        var deadLetters = 0
        var skipped = 0
    }

    /// Applies `batch` to `state` and returns what to write.
    func derive(_ batch: [KafkaMessage], state: inout StateStore) -> Result {
        var result = Result()
        let headers = HeaderTemplate(source: source, time: RFC3339.string(from: Date()))
        var yearsBefore: [Int: [CountryPaperTotals]] = [:]
        var daysBefore: [String: MarketDay?] = [:]
        var changelog: [String: [UInt8]] = [:]
        var appliedPartitions: Set<TopicPartition> = []
        var yearInputs: [Int: KafkaHeader] = [:]
        var dayInputs: [String: KafkaHeader] = [:]

        for message in batch {
            let partition = message.topicPartition
            if state.isApplied(partition, offset: message.offset) {
                result.skipped += 1
                continue
            }
            let outputsBefore = result.outputs.count
            let input = Self.inputHeader(message)
            let bytes = message.value ?? []
            switch message.topic {
            case topics.fundingRounds:
                switch decodeRound(message, into: &result) {
                case .some(let round):
                    guard let usd = rates.usd(round.valuation) else {
                        deadLetter(message, [rates.missingRateIssue(field: "valuation.currency", currency: round.valuation.currency)], into: &result)
                        break
                    }
                    let slug = Slugs.make(round.company)
                    switch state.valuations.apply(round, slug: slug, valuationUSD: usd) {
                    case .change(let change, let entry):
                        result.outputs.append(
                            ProducerMessage(
                                topic: topics.valuationChanges, key: Array(slug.utf8), value: FastJSON.encode(change),
                                headers: headers.headers(id: change.id, type: ValuationChange.eventType)))
                        result.derived += 1
                        changelog[StateStore.key(entry, slug: slug)] = FastJSON.encode(entry)
                    case .late(let entry):
                        changelog[StateStore.key(entry, slug: slug)] = FastJSON.encode(entry)
                    case .duplicate:
                        break
                    }
                case .none:
                    break
                }
            case topics.paperCounts:
                if let count = decode(PaperCount.self, message, into: &result) {
                    result.outputs.append(
                        ProducerMessage(topic: topics.paperCountsByYear, key: Array(String(count.year).utf8), value: bytes, headers: message.headers))
                }
            case topics.stockMoves:
                if let move = decode(StockMove.self, message, into: &result) {
                    if let cap = move.marketCapChange, rates.usd(cap) == nil {
                        deadLetter(message, [rates.missingRateIssue(field: "market_cap_change.currency", currency: cap.currency)], into: &result)
                    } else {
                        result.outputs.append(
                            ProducerMessage(topic: topics.stockMovesByDate, key: Array(move.day.utf8), value: bytes, headers: message.headers))
                    }
                }
            case topics.paperCountsByYear:
                if let count = decode(PaperCount.self, message, into: &result) {
                    if yearsBefore[count.year] == nil { yearsBefore[count.year] = state.papers.totals(year: count.year) }
                    yearInputs[count.year] = input
                    if let entry = state.papers.apply(count) {
                        changelog[StateStore.key(entry)] = try? KakusaJSON.encode(entry)
                    }
                }
            case topics.stockMovesByDate:
                if let move = decode(StockMove.self, message, into: &result) {
                    let usd = move.marketCapChange.flatMap { rates.usd($0) }
                    if daysBefore[move.day] == nil { daysBefore[move.day] = .some(state.markets.day(move.day)) }
                    dayInputs[move.day] = input
                    if let entry = state.markets.apply(move, marketCapChangeUSD: usd) {
                        changelog[StateStore.key(entry)] = try? KakusaJSON.encode(entry)
                    }
                }
            default:
                break
            }
            for index in outputsBefore..<result.outputs.count { result.outputs[index].headers.append(input) }
            state.appliedOffsets[partition] = message.offset
            appliedPartitions.insert(partition)
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
        let stateTopic = topics.aggregatorState
        for (key, value) in changelog {  // one record per key, the last state of the batch
            result.changelog.append(ProducerMessage(topic: stateTopic, key: Array(key.utf8), value: value))
        }
        result.offsetRecordsStart = result.changelog.count
        for partition in appliedPartitions.sorted(by: { ($0.topic, $0.partition) < ($1.topic, $1.partition) }) {
            guard let offset = state.appliedOffsets[partition] else { continue }
            result.changelog.append(
                ProducerMessage(topic: stateTopic, key: Array(StateStore.offsetKey(partition).utf8), value: Array(String(offset).utf8)))
        }
        return result
    }

    /// The header naming the input record an output came from (for totals and days: the batch's last input of that
    /// year or date), `<topic>:<partition>:<offset>`: after a crash, it tells whether an output already on a topic
    /// came from input the state has applied (see ``PendingOutputs``).
    static let inputHeaderKey = "kakusa.input"

    static func inputHeader(_ message: KafkaMessage) -> KafkaHeader {
        KafkaHeader(key: inputHeaderKey, value: "\(message.topic):\(message.partition):\(message.offset)")
    }

    /// The input position named by an `kakusa.input` header value.
    static func inputPosition(_ value: String) -> (TopicPartition, Int64)? {
        let parts = value.split(separator: ":")
        guard parts.count == 3, let partition = Int32(parts[1]), let offset = Int64(parts[2]) else { return nil }
        return (TopicPartition(topic: String(parts[0]), partition: partition), offset)
    }

    /// A funding round: plain input the fast way, anything else (bad input included) through `KakusaJSON`.
    private func decodeRound(_ message: KafkaMessage, into result: inout Result) -> FundingRound? {
        guard let round = FastRecordParser.fundingRound(message.value ?? []) else {
            return decode(FundingRound.self, message, into: &result)
        }
        let issues = round.validate()
        guard issues.isEmpty else {
            deadLetter(message, issues, into: &result)
            return nil
        }
        return round
    }

    /// CloudEvents headers with the constant parts encoded once per batch (one `ce_time` for the batch).
    struct HeaderTemplate {
        let specVersion = KafkaHeader(key: "ce_specversion", value: CloudEventHeaders.specVersion)
        let source: KafkaHeader
        let time: KafkaHeader
        let contentType = KafkaHeader(key: "content-type", value: CloudEventHeaders.contentType)

        init(source: String, time: String) {
            self.source = KafkaHeader(key: "ce_source", value: source)
            self.time = KafkaHeader(key: "ce_time", value: time)
        }

        /// In `CloudEventHeaders.headers` order.
        func headers(id: String, type: String) -> [KafkaHeader] {
            [
                specVersion, KafkaHeader(key: "ce_id", value: id), source, KafkaHeader(key: "ce_type", value: type), time,
                contentType,
            ]
        }
    }

    /// The record, or nil after adding a dead letter for it.
    private func decode<Record: KakusaRecord>(_ type: Record.Type, _ message: KafkaMessage, into result: inout Result) -> Record? {
        do {
            return try KakusaJSON.decodeValid(type, from: message.value ?? [])
        } catch {
            deadLetter(message, error.issues, into: &result)
            return nil
        }
    }

    private func deadLetter(_ message: KafkaMessage, _ issues: [ValidationIssue], into result: inout Result) {
        let headers = DeadLetterHeaders(
            issues: issues, service: "aggregator", originalTopic: message.topic,
            originalPartition: Int(message.partition), originalOffset: message.offset)
        result.outputs.append(
            ProducerMessage(
                topic: topics.deadLetters, key: message.key, value: message.value,
                headers: message.headers + headers.headers.map { KafkaHeader(key: $0.key, value: $0.value) }))
        result.deadLetters += 1
    }

    /// A derived record with its CloudEvents headers.
    static func record<Record: KakusaRecord>(_ record: Record, topic: String, source: String) -> ProducerMessage {
        let headers = CloudEventHeaders(for: record, source: source).headers.map { KafkaHeader(key: $0.key, value: $0.value) }
        return ProducerMessage(
            topic: topic, key: Array(record.key.utf8), value: (try? KakusaJSON.encode(record)) ?? [], headers: headers)
    }
}
