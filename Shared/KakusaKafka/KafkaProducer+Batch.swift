import CRdKafka

extension KafkaProducer {
    /// Enqueues the records of a batch (waiting while the local queue is full) and returns without waiting
    /// for the broker: await the result to know they are on Kafka. The fast path for many records.
    public func submit(_ batch: ProducerBatch) async throws -> PendingDeliveries {
        try checkUsable()
        let topics = try batch.topics.map { try topicHandle($0) }
        let handle: OpaquePointer = client.handle
        return try await enqueue(count: batch.count, topicName: { batch.topics[Int(batch.entries[$0].topic)] }) {
            from, opaque in
            // Every array read through a pointer taken once: read through the batch, each record's lookups retained
            // and released its arrays (a third of the samples perf could place in this loop).
            batch.bytes.withUnsafeBytes { bytes in
                batch.entries.withUnsafeBufferPointer { entries in
                    batch.headers.withUnsafeBufferPointer { headers in
                        topics.withUnsafeBufferPointer { topics in
                            for index in from..<entries.count {
                                let entry = entries[index]
                                let list = Self.headers(of: entry, in: headers, bytes: bytes)
                                let err = Self.produce(
                                    topic: topics[Int(entry.topic)],
                                    partition: entry.partition < 0 ? RD_KAFKA_PARTITION_UA : entry.partition,
                                    key: Self.slice(entry.key, of: bytes), value: Self.slice(entry.value, of: bytes),
                                    headers: list, opaque: opaque, handle: handle)
                                if err != RD_KAFKA_RESP_ERR_NO_ERROR { return (index, err) }
                            }
                            return (entries.count, RD_KAFKA_RESP_ERR_NO_ERROR)
                        }
                    }
                }
            }
        }
    }

    private static func slice(_ span: ProducerBatch.Span, of bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard span.length >= 0 else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[Int(span.offset)..<Int(span.offset + span.length)])
    }

    /// A new librdkafka header list for the entry, or nil when it has none.
    private static func headers(
        of entry: ProducerBatch.Entry, in headers: UnsafeBufferPointer<ProducerBatch.Header>,
        bytes: UnsafeRawBufferPointer
    ) -> OpaquePointer? {
        guard entry.headerCount > 0 else { return nil }
        let list = rd_kafka_headers_new(Int(entry.headerCount))
        for header in headers[Int(entry.firstHeader)..<Int(entry.firstHeader + entry.headerCount)] {
            let name = slice(header.name, of: bytes)!
            let value = slice(header.value, of: bytes)
            _ = name.withMemoryRebound(to: CChar.self) { name in
                rd_kafka_header_add(list, name.baseAddress, name.count, value?.baseAddress, value?.count ?? 0)
            }
        }
        return list
    }
}
