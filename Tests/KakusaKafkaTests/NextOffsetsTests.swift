import KakusaTestSupport
import KakusaKafka
import Testing

@Suite struct NextOffsetsTests {
    /// A batch comes in runs of one partition, but a partition may come back later in the batch (and in a lazy
    /// sequence, not an array): each partition's offset to commit is its highest + 1, wherever it was seen.
    @Test func eachPartitionCommitsPastItsHighestOffsetWhereverItsRecordsCame() {
        var messages: [KafkaMessage] = []
        var highest: [TopicPartition: Int64] = [:]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<400 {
            let topic = Bool.random(using: &generator) ? "a" : "b"
            let partition = Int32.random(in: 0..<3, using: &generator)
            let start = Int64.random(in: 0..<1_000, using: &generator)
            for offset in start..<start + Int64.random(in: 1..<5, using: &generator) {
                messages.append(KafkaMessage(topic: topic, partition: partition, offset: offset, key: nil, value: nil))
                let tp = TopicPartition(topic: topic, partition: partition)
                highest[tp] = max(highest[tp] ?? .min, offset + 1)
            }
        }
        let expected = Set(highest.map { TopicPartitionOffset($0.key, offset: $0.value) })
        #expect(Set(messages.nextOffsets) == expected)
        #expect(messages.nextOffsets.count == expected.count)
        #expect(Set(messages.lazy.map { $0 }.nextOffsets) == expected)
        #expect([KafkaMessage]().nextOffsets.isEmpty)
    }
}
