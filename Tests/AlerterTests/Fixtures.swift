import KakusaTestSupport
import KakusaKafka

enum TopicPartitionFixture {
    static let valuation = TopicPartition(topic: "kakusa.valuation-changes", partition: 1)
}
