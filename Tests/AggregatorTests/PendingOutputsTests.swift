import KakusaTestSupport
import KakusaEvents
import KakusaKafka
import Testing

@testable import Aggregator

/// What a restore makes of the outputs it finds past the noted positions.
@Suite struct PendingOutputsTests {
    let topics = Topics()

    /// The derived outputs of `rounds` (partition 0 of the input from `offset`), as they were written to the topic.
    func written(_ rounds: [FundingRound], from offset: Int64) -> (BatchDeriver.Result, [KafkaMessage]) {
        var state = StateStore()
        let input = rounds.enumerated().map { index, round in
            KafkaMessage(
                topic: topics.fundingRounds, partition: 0, offset: offset + Int64(index), key: Array(round.key.utf8),
                value: try! KakusaJSON.encode(round))
        }
        let result = BatchDeriver(topics: topics, rates: FXRates(parsing: "JPY=155")!).derive(input, state: &state)
        let onTopic = result.outputs.messages.enumerated().map { index, output in
            KafkaMessage(
                topic: output.topic, partition: 1, offset: 100 + Int64(index), key: output.key, value: output.value,
                headers: output.headers)
        }
        return (result, onTopic)
    }

    @Test func outputsOfUnappliedInputAreLeftOutOnceAndResolvedByTheCommit() {
        let (result, onTopic) = written(SeedRecords.fundingRounds, from: 10)
        #expect(onTopic.count == 3)
        // The state applied the first round (offset 10) only: the other two outputs are pending.
        var state = StateStore()
        state.appliedOffsets[TopicPartition(topic: topics.fundingRounds, partition: 0)] = 10
        var pending = PendingOutputs(tail: onTopic, state: state)
        #expect(pending.count == 2)
        #expect(pending.earliest == [TopicPartition(topic: topics.valuationChanges, partition: 1): 101])
        // Derived again: those two are not written a second time, and only once.
        let first = pending.unwritten(Array(result.outputs.messages[1...]))
        let second = pending.unwritten(Array(result.outputs.messages[1...]))
        #expect(first.isEmpty)
        #expect(second.count == 2)
        pending.resolve(applied: [TopicPartition(topic: topics.fundingRounds, partition: 0): 12])
        #expect(pending.isEmpty)
        #expect(pending.earliest.isEmpty)
    }

    @Test func outputsWithoutAnInputHeaderOrOfAppliedInputAreNotPending() {
        let (_, onTopic) = written(SeedRecords.fundingRounds, from: 0)
        var state = StateStore()
        state.appliedOffsets[TopicPartition(topic: topics.fundingRounds, partition: 0)] = 2
        #expect(PendingOutputs(tail: onTopic, state: state).isEmpty)
        let foreign = onTopic.map { message in
            var message = message
            message.headers.removeAll { $0.key == BatchDeriver.inputHeaderKey }
            return message
        }
        #expect(PendingOutputs(tail: foreign, state: StateStore()).isEmpty)
    }

    @Test func outputEndKeysRoundTripWithColonsInTheInstanceName() {
        let partition = TopicPartition(topic: "kakusa.valuation-changes", partition: 7)
        let key = StateStore.outputEndKey(instance: "kakusa-aggregator-host:1", partition)
        var state = StateStore()
        let understood = state.restore(key: key, value: Array("42".utf8))
            && state.restore(key: StateStore.outputEndKey(instance: "other", partition), value: Array("40".utf8))
        #expect(understood)
        #expect(state.outputEnds["kakusa-aggregator-host:1"] == [partition: 42])
        #expect(state.unfinishedOutputStarts == [partition: 40])
    }
}
