import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Produce v0-7: record batches v2, checked (CRC-32C, size, producer state) and appended by the partition's
/// leader; acks 0 gets no response, 1 and all are answered once appended (one copy: appended is in sync).
enum ProduceApi {
    struct PartitionResult {
        var partition: Int32
        var error: Int16
        var baseOffset: Int64 = -1
        var logStartOffset: Int64 = -1
    }

    static func handle(_ c: RequestContext, _ r: inout KafkaReader) async throws -> ByteBuffer? {
        let transactionalID = c.version >= 3 ? try r.nullableString() : nil
        let acks = try r.int16()
        _ = try r.int32()  // timeout: appends are immediate
        let topics = try r.array { r -> (String, [(Int32, ByteBuffer?)]) in
            let name = try r.string()
            let parts = try r.array { r in (try r.int32(), try r.nullableBytes()) }
            return (name, parts)
        }
        let cluster = c.cluster
        var results: [(String, [PartitionResult])] = []
        var appended = false
        for (topic, parts) in topics {
            var out: [PartitionResult] = []
            for (partition, records) in parts {
                var result = PartitionResult(partition: partition, error: 0)
                if c.injectedError == ErrorCode.requestTimedOut.rawValue {
                    // Kafka answers REQUEST_TIMED_OUT when the leader appended the batch but replication did not
                    // finish in time: the records are in the log, and a retry is a duplicate.
                    result = append(c, topic: topic, partition: partition, records: records, transactionalID: transactionalID)
                    if result.error == 0 { appended = true }
                    result.error = ErrorCode.requestTimedOut.rawValue
                } else if let injected = c.injectedError {
                    result.error = injected
                } else if acks != 0 && acks != 1 && acks != -1 {
                    result.error = ErrorCode.invalidRequiredAcks.rawValue
                } else {
                    result = append(c, topic: topic, partition: partition, records: records, transactionalID: transactionalID)
                    if result.error == 0 { appended = true }
                }
                out.append(result)
            }
            results.append((topic, out))
        }
        if appended { cluster.notifyAll() }
        if acks == 0 {
            // Kafka closes the connection of an acks=0 producer whose records were refused, so that it notices.
            if results.contains(where: { $0.1.contains { $0.error != 0 } }) {
                throw MalformedRequest(reason: "an acks=0 produce was refused")
            }
            return nil
        }
        var out = ByteBuffer()
        out.writeKafkaArray(results) { out, entry in
            out.writeKafkaString(entry.0)
            out.writeKafkaArray(entry.1) { out, p in
                out.writeInteger(p.partition)
                out.writeInteger(p.error)
                out.writeInteger(p.baseOffset)
                if c.version >= 2 { out.writeInteger(Int64(-1)) }
                if c.version >= 5 { out.writeInteger(p.logStartOffset) }
            }
        }
        if c.version >= 1 { out.writeInteger(RequestContext.noThrottle) }
        return out
    }

    /// Kafka refuses records without a key on a compacted topic; batches whose codec this broker cannot read
    /// (snappy, lz4, zstd) are let through unchecked.
    static func hasRecordWithoutKey(_ batch: RecordBatch) -> Bool {
        guard batch.recordsReadable, let records = try? batch.records() else { return false }
        return records.contains { $0.key == nil }
    }

    private static func append(
        _ c: RequestContext, topic: String, partition: Int32, records: ByteBuffer?, transactionalID: String?
    ) -> PartitionResult {
        var result = PartitionResult(partition: partition, error: 0)
        let cluster = c.cluster
        let leader = cluster.lock.withLock { () -> Int32?? in
            guard let t = cluster.topics[topic], partition >= 0, Int(partition) < t.partitions.count else { return nil }
            return .some(cluster.leaderLocked(partition: partition))
        }
        guard let leader else {
            result.error = ErrorCode.unknownTopicOrPartition.rawValue
            return result
        }
        guard leader == c.brokerID else {
            result.error = ErrorCode.notLeaderOrFollower.rawValue
            return result
        }
        let batches: [RecordBatch]
        do {
            batches = try RecordBatch.split(records ?? ByteBuffer())
        } catch {
            switch error {
            case .oldFormat:
                result.error = ErrorCode.unsupportedForMessageFormat.rawValue
            case .corrupt(let why):
                cluster.logger.warning(
                    "produce refused: corrupt batch",
                    metadata: ["topic": "\(topic)", "partition": "\(partition)", "reason": "\(why)"])
                result.error = ErrorCode.corruptMessage.rawValue
            }
            return result
        }
        if c.version >= 3 && batches.count != 1 {
            result.error = ErrorCode.invalidRecord.rawValue
            return result
        }
        let compacted = cluster.lock.withLock { cluster.topics[topic]?.config.compacts ?? false }
        if compacted, batches.contains(where: Self.hasRecordWithoutKey) {
            cluster.logger.notice(
                "produce refused: a record without a key on a compacted topic",
                metadata: ["topic": "\(topic)", "partition": "\(partition)"])
            result.error = ErrorCode.invalidRecord.rawValue
            return result
        }
        if let problem = batches.lazy.compactMap(\.clientBatchProblem).first {
            cluster.logger.notice(
                "produce refused: invalid batch",
                metadata: ["topic": "\(topic)", "partition": "\(partition)", "reason": "\(problem)"])
            result.error = ErrorCode.invalidRecord.rawValue
            return result
        }
        for batch in batches {
            if batch.isTransactional && transactionalID == nil {
                result.error = ErrorCode.transactionalIdAuthorizationFailed.rawValue
                return result
            }
            let outcome = cluster.transactions.appendChecked(
                producerID: batch.producerID, producerEpoch: batch.producerEpoch, transactional: batch.isTransactional,
                topic: topic, partition: partition
            ) {
                cluster.lock.withLock {
                    guard let log = cluster.topics[topic]?.partitions[Int(partition)] else {
                        return .refused(.unknownTopicOrPartition, "topic deleted")
                    }
                    if let budget = cluster.maxMemory, cluster.storedBytes + batch.size > budget {
                        return .refused(
                            .policyViolation,
                            "the devbroker's memory budget (--max-memory \(budget) bytes) is full: \(cluster.storedBytes) bytes stored")
                    }
                    let before = log.sizeInBytes
                    let outcome = log.append(batch, now: Clock.milliseconds())
                    cluster.storedBytes += log.sizeInBytes - before
                    result.logStartOffset = log.logStartOffset
                    return outcome
                }
            }
            switch outcome {
            case let .appended(base), let .duplicate(base):
                if result.baseOffset < 0 { result.baseOffset = base }
            case let .refused(code, why):
                cluster.logger.notice(
                    "produce refused",
                    metadata: ["topic": "\(topic)", "partition": "\(partition)", "error": "\(code)", "reason": "\(why)"])
                result.error = code.rawValue
                result.baseOffset = -1
                return result
            }
        }
        return result
    }
}
