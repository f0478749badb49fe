import CRdKafka

extension KafkaProducer {
    /// Each partition's end (high watermark: the offset the next record will get), asked of the brokers in one
    /// ListOffsets round. A position no later record can precede: what a service notes before a transaction so
    /// that, after a crash, it knows where the records of its unfinished transaction can start.
    public func endOffsets(_ partitions: [TopicPartition], timeout: Duration = .seconds(10)) async throws
        -> [TopicPartition: Int64]
    {
        try checkUsable()
        guard !partitions.isEmpty else { return [:] }
        let client = self.client
        let ms = Int32(clamping: max(timeout.components.seconds * 1000, 100))
        return try await client.blocking.run {
            // offsets_for_times with the timestamp -1 (RD_KAFKA_OFFSET_END) answers the end offset.
            let list = TopicPartitionList.make(partitions.map { TopicPartitionOffset($0, offset: -1) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_offsets_for_times(client.handle, list, ms)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError.rdKafka(err, context: "end offsets", retriable: true)
            }
            var ends: [TopicPartition: Int64] = [:]
            for (o, e) in TopicPartitionList.readOffsets(list) where e == RD_KAFKA_RESP_ERR_NO_ERROR && o.offset >= 0 {
                ends[o.topicPartition] = o.offset
            }
            return ends
        }
    }
}

extension KafkaConsumer {
    /// Per owned partition, how far the consumer is behind: the high watermark librdkafka last saw in a fetch
    /// answer minus the consumer's position (the next offset it hands over). Local: asks no broker. Partitions
    /// without a known position or watermark yet are left out.
    public func lag() -> [TopicPartition: Int64] {
        let partitions = Array(client.assignment.partitions)
        guard !partitions.isEmpty, !client.isDestroyed else { return [:] }
        let list = TopicPartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        guard rd_kafka_position(client.handle, list) == RD_KAFKA_RESP_ERR_NO_ERROR else { return [:] }
        var lag: [TopicPartition: Int64] = [:]
        for (o, e) in TopicPartitionList.readOffsets(list) where e == RD_KAFKA_RESP_ERR_NO_ERROR && o.offset >= 0 {
            var low: Int64 = -1
            var high: Int64 = -1
            let tp = o.topicPartition
            guard rd_kafka_get_watermark_offsets(client.handle, tp.topic, tp.partition, &low, &high)
                == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0
            else { continue }
            lag[tp] = max(high - o.offset, 0)
        }
        return lag
    }
}
