import CRdKafka

/// Conversions between Swift offsets and librdkafka's `rd_kafka_topic_partition_list_t`.
enum TopicPartitionList {
    static func read(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> [TopicPartition] {
        (0..<Int(list.pointee.cnt)).map { i in
            let e = list.pointee.elems[i]
            return TopicPartition(topic: String(cString: e.topic), partition: e.partition)
        }
    }

    static func readOffsets(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> [(TopicPartitionOffset, rd_kafka_resp_err_t)] {
        (0..<Int(list.pointee.cnt)).map { i in
            let e = list.pointee.elems[i]
            return (TopicPartitionOffset(topic: String(cString: e.topic), partition: e.partition, offset: e.offset), e.err)
        }
    }

    /// A new list the caller destroys with `rd_kafka_topic_partition_list_destroy`.
    static func make(_ offsets: [TopicPartitionOffset]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(max(offsets.count, 1)))!
        for o in offsets {
            let e = rd_kafka_topic_partition_list_add(list, o.topicPartition.topic, o.topicPartition.partition)!
            e.pointee.offset = o.offset
        }
        return list
    }

    static func make(_ partitions: [TopicPartition]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(max(partitions.count, 1)))!
        for p in partitions { rd_kafka_topic_partition_list_add(list, p.topic, p.partition) }
        return list
    }
}
