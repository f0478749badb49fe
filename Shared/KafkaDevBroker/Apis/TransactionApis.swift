import Logging
import NIOConcurrencyHelpers
import NIOCore

/// InitProducerId v0-4 (v3+: KIP-360's epoch bump), AddPartitionsToTxn v0, AddOffsetsToTxn v0 and EndTxn v0-1,
/// served by the transaction coordinator. Only InitProducerId v4 knows PRODUCER_FENCED: Kafka answers the others
/// INVALID_PRODUCER_EPOCH instead (KIP-588), as done here.
enum TransactionApis {
    static func handle(_ c: RequestContext, _ r: inout KafkaReader) async throws -> ByteBuffer? {
        switch c.api {
        case .initProducerId: try initProducerID(c, &r)
        case .addPartitionsToTxn: try addPartitions(c, &r)
        case .addOffsetsToTxn: try addOffsets(c, &r)
        case .endTxn: try endTransaction(c, &r)
        default: throw MalformedRequest(reason: "\(c.api.name) is not a transaction API")
        }
    }

    /// NOT_COORDINATOR unless this broker coordinates `transactionalID`; COORDINATOR_NOT_AVAILABLE when no broker is up.
    static func coordinatorError(_ c: RequestContext, _ transactionalID: String) -> ErrorCode? {
        guard let broker = c.cluster.coordinator(for: transactionalID) else { return .coordinatorNotAvailable }
        return broker.id == c.brokerID ? nil : .notCoordinator
    }

    /// PRODUCER_FENCED (90) is new in v4 of InitProducerId and v2 of the others; older versions get 47.
    static func mapped(_ error: ErrorCode, _ c: RequestContext) -> Int16 {
        let fencedSince: Int16 = c.api == .initProducerId ? 4 : 2
        if error == .producerFenced && c.version < fencedSince { return ErrorCode.invalidProducerEpoch.rawValue }
        return c.error(error)
    }

    private static func initProducerID(_ c: RequestContext, _ r: inout KafkaReader) throws -> ByteBuffer {
        let transactionalID = try r.nullableString()
        let timeout = try r.int32()
        // v3+ (KIP-360): the producer's current id and epoch, when it asks for a bump to recover from an error.
        var expected: (producerID: Int64, epoch: Int16)?
        if c.version >= 3 {
            let id = try r.int64()
            let epoch = try r.int16()
            if id >= 0 { expected = (id, epoch) }
        }
        try r.skipTaggedFields()
        var result = TransactionCoordinator.ProducerIDAndEpoch()
        if c.injectedError != nil {
            result.error = .none  // answered below as the injected code, with no id
        } else if let transactionalID {
            let coordinator = c.cluster.transactions
            if transactionalID.isEmpty {
                result.error = .invalidRequest
            } else if timeout <= 0 || timeout > coordinator.maxTimeoutMilliseconds {
                result.error = .invalidTransactionTimeout
            } else if let error = coordinatorError(c, transactionalID) {
                result.error = error
            } else {
                result = coordinator.initProducerID(
                    transactionalID: transactionalID, timeoutMilliseconds: timeout, expected: expected)
            }
        } else {
            // An idempotent producer: any broker hands out a producer id, epoch 0.
            result = .init(producerID: c.cluster.transactions.newProducerID(), producerEpoch: 0)
        }
        if result.error != .none {
            c.cluster.logger.debug(
                "InitProducerId refused",
                metadata: ["transactionalID": "\(transactionalID ?? "-")", "error": "\(result.error)"])
        }
        let failed = result.error != .none || c.injectedError != nil
        var out = ByteBuffer()
        out.writeInteger(RequestContext.noThrottle)
        out.writeInteger(mapped(result.error, c))
        out.writeInteger(failed ? -1 : result.producerID)
        out.writeInteger(failed ? -1 : result.producerEpoch)
        out.writeEmptyTaggedFields(flexible: c.flexible)
        return out
    }

    private static func addPartitions(_ c: RequestContext, _ r: inout KafkaReader) throws -> ByteBuffer {
        let transactionalID = try r.string()
        let producerID = try r.int64()
        let producerEpoch = try r.int16()
        let topics = try r.array { r in (try r.string(), try r.array { try $0.int32() }) }
        // Kafka merges the request into a set of partitions and answers each once, by topic.
        var requested: [String: [Int32]] = [:]
        var order: [String] = []
        for (topic, partitions) in topics {
            if requested[topic] == nil { order.append(topic) }
            for p in partitions where !(requested[topic]?.contains(p) ?? false) { requested[topic, default: []].append(p) }
        }
        var errors: [TransactionMetadata.Partition: Int16] = [:]
        let all = order.flatMap { t in requested[t]!.map { TransactionMetadata.Partition(topic: t, partition: $0) } }
        if let injected = c.injectedError {
            for p in all { errors[p] = injected }
        } else {
            // Unknown partitions fail the whole request: the others are OPERATION_NOT_ATTEMPTED, none is added.
            let unknown = c.cluster.lock.withLock {
                Set(all.filter { p in
                    guard let t = c.cluster.topics[p.topic] else { return true }
                    return p.partition < 0 || Int(p.partition) >= t.partitions.count
                })
            }
            if !unknown.isEmpty {
                for p in all {
                    errors[p] = (unknown.contains(p) ? ErrorCode.unknownTopicOrPartition : .operationNotAttempted).rawValue
                }
            } else {
                let error: ErrorCode
                if transactionalID.isEmpty {
                    error = .invalidRequest
                } else if let notHere = coordinatorError(c, transactionalID) {
                    error = notHere
                } else {
                    error = c.cluster.transactions.addPartitions(
                        transactionalID: transactionalID, producerID: producerID, producerEpoch: producerEpoch,
                        Set(all), timersOn: c.eventLoop)
                }
                if error != .none {
                    c.cluster.logger.debug(
                        "AddPartitionsToTxn refused",
                        metadata: ["transactionalID": "\(transactionalID)", "error": "\(error)"])
                }
                for p in all { errors[p] = mapped(error, c) }
            }
        }
        var out = ByteBuffer()
        out.writeInteger(RequestContext.noThrottle)
        out.writeKafkaArray(order) { out, topic in
            out.writeKafkaString(topic)
            out.writeKafkaArray(requested[topic]!) { out, p in
                out.writeInteger(p)
                out.writeInteger(errors[TransactionMetadata.Partition(topic: topic, partition: p)] ?? 0)
            }
        }
        return out
    }

    private static func addOffsets(_ c: RequestContext, _ r: inout KafkaReader) throws -> ByteBuffer {
        let transactionalID = try r.string()
        let producerID = try r.int64()
        let producerEpoch = try r.int16()
        let group = try r.string()
        var error = ErrorCode.none
        if c.injectedError == nil {
            if transactionalID.isEmpty {
                error = .invalidRequest
            } else if let notHere = coordinatorError(c, transactionalID) {
                error = notHere
            } else {
                error = c.cluster.transactions.addOffsets(
                    transactionalID: transactionalID, producerID: producerID, producerEpoch: producerEpoch, group: group,
                    timersOn: c.eventLoop)
            }
        }
        var out = ByteBuffer()
        out.writeInteger(RequestContext.noThrottle)
        out.writeInteger(mapped(error, c))
        return out
    }

    private static func endTransaction(_ c: RequestContext, _ r: inout KafkaReader) throws -> ByteBuffer {
        let transactionalID = try r.string()
        let producerID = try r.int64()
        let producerEpoch = try r.int16()
        let commit = try r.bool()
        var error = ErrorCode.none
        if c.injectedError == nil {
            if transactionalID.isEmpty {
                error = .invalidRequest
            } else if let notHere = coordinatorError(c, transactionalID) {
                error = notHere
            } else {
                error = c.cluster.transactions.endTransaction(
                    transactionalID: transactionalID, producerID: producerID, producerEpoch: producerEpoch,
                    commit: commit)
            }
            if error != .none {
                c.cluster.logger.debug(
                    "EndTxn refused",
                    metadata: ["transactionalID": "\(transactionalID)", "commit": "\(commit)", "error": "\(error)"])
            }
        }
        var out = ByteBuffer()
        out.writeInteger(RequestContext.noThrottle)
        out.writeInteger(mapped(error, c))
        return out
    }
}
