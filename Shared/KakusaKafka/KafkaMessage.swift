/// A record read from Kafka.
public struct KafkaMessage: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [KafkaHeader]
    /// The record's timestamp in milliseconds since the epoch, if it has one.
    public var timestampMilliseconds: Int64?

    public init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8]?,
        headers: [KafkaHeader] = [], timestampMilliseconds: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }

    public var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }
    /// What to commit once this record's work is done: the next offset.
    public var nextOffset: TopicPartitionOffset { TopicPartitionOffset(topicPartition, offset: offset + 1) }
    public var keyString: String? { key.map { String(decoding: $0, as: UTF8.self) } }
}

extension Sequence where Element == KafkaMessage {
    /// The offsets to commit after all of these records are done: per partition, the highest offset + 1.
    public var nextOffsets: [TopicPartitionOffset] {
        var highest: [TopicPartition: Int64] = [:]
        for message in self {
            let tp = message.topicPartition
            if message.offset + 1 > highest[tp, default: Int64.min] { highest[tp] = message.offset + 1 }
        }
        return highest.map { TopicPartitionOffset($0.key, offset: $0.value) }
    }
}
