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
        var highest = NextOffsets()
        // Read in place where possible: a copy of a record retains its four buffers (this ran over every record of
        // every batch, a few percent of the aggregator's CPU).
        let read: Void? = withContiguousStorageIfAvailable { messages in
            for index in messages.indices {
                highest.note(messages[index].topic, messages[index].partition, messages[index].offset)
            }
        }
        if read == nil {
            for message in self { highest.note(message.topic, message.partition, message.offset) }
        }
        return highest.finish()
    }
}

/// The highest offset + 1 per partition, a run at a time: a batch holds runs of one partition's records, so the
/// dictionary is touched once a run.
private struct NextOffsets {
    private var highest: [TopicPartition: Int64] = [:]
    private var run: (topic: String, partition: Int32, next: Int64)?

    mutating func note(_ topic: String, _ partition: Int32, _ offset: Int64) {
        if let run, run.partition == partition, run.topic == topic {
            if offset + 1 > run.next { self.run!.next = offset + 1 }
            return
        }
        end()
        let known = highest[TopicPartition(topic: topic, partition: partition)] ?? Int64.min
        run = (topic, partition, max(known, offset + 1))
    }

    private mutating func end() {
        guard let run else { return }
        highest[TopicPartition(topic: run.topic, partition: run.partition)] = run.next
    }

    mutating func finish() -> [TopicPartitionOffset] {
        end()
        run = nil
        return highest.map { TopicPartitionOffset($0.key, offset: $0.value) }
    }
}
