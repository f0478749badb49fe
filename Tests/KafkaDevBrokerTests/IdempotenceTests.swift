import Foundation
@testable import KafkaDevBroker
import NIOCore
import Testing

/// The idempotent producer's guarantees on the wire (KIP-98): a retried batch is written once and answered with
/// its first offset, a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER, a stale epoch INVALID_PRODUCER_EPOCH (since
/// Kafka 2.7), and a new epoch starts again at sequence 0.
@Suite struct IdempotenceTests {
    static let none = ErrorCode.none.rawValue
    static let outOfOrder = ErrorCode.outOfOrderSequenceNumber.rawValue

    @Test func aRetriedBatchIsWrittenOnceAndAnsweredWithItsFirstOffset() async throws {
        try await withDevBroker(topics: ["idem": 1]) { broker in
            let client = try TransactionWireClient(broker)
            let p = try client.initProducerID(nil)
            #expect(p.error == Self.none && p.epoch == 0)
            let first = TransactionWireClient.batch(producerID: p.producerID, epoch: 0, sequence: 0, count: 3, prefix: "a")
            #expect(try client.produce("idem", 0, first) == (Self.none, 0))
            #expect(try client.produce("idem", 0, first) == (Self.none, 0), "the retry gets the first answer")
            let second = TransactionWireClient.batch(producerID: p.producerID, epoch: 0, sequence: 3, count: 2, prefix: "b")
            #expect(try client.produce("idem", 0, second) == (Self.none, 3))
            #expect(try client.produce("idem", 0, second) == (Self.none, 3))
            #expect(try client.produce("idem", 0, first) == (Self.none, 0), "any of the last five batches")
            #expect(try client.latestOffset("idem", 0, readCommitted: false) == 5)
            let read = try client.fetch("idem", 0, from: 0, readCommitted: false)
            #expect(read.dataRecordCount == 5, "one copy of each record")
            #expect(read.batches.map(\.baseOffset) == [0, 3])
        }
    }

    @Test func onlyTheLastFiveBatchesAreRecognisedAsRetries() async throws {
        try await withDevBroker(topics: ["idem": 1]) { broker in
            let client = try TransactionWireClient(broker)
            let p = try client.initProducerID(nil)
            let batches = (0..<6).map {
                TransactionWireClient.batch(producerID: p.producerID, epoch: 0, sequence: Int32($0), prefix: "r\($0)")
            }
            for (i, b) in batches.enumerated() { #expect(try client.produce("idem", 0, b) == (Self.none, Int64(i))) }
            #expect(try client.produce("idem", 0, batches[1]) == (Self.none, 1))
            // The first batch is out of the window: Kafka no longer knows it and sees an old sequence.
            #expect(try client.produce("idem", 0, batches[0]).error == Self.outOfOrder)
            #expect(try client.latestOffset("idem", 0, readCommitted: false) == 6)
        }
    }

    @Test func aSequenceGapIsRefused() async throws {
        try await withDevBroker(topics: ["idem": 1]) { broker in
            let client = try TransactionWireClient(broker)
            let p = try client.initProducerID(nil)
            let first = TransactionWireClient.batch(producerID: p.producerID, epoch: 0, sequence: 0, count: 2)
            #expect(try client.produce("idem", 0, first) == (Self.none, 0))
            let gap = TransactionWireClient.batch(producerID: p.producerID, epoch: 0, sequence: 5)
            let refused = try client.produce("idem", 0, gap)
            #expect(refused.error == Self.outOfOrder)
            #expect(refused.baseOffset == -1)
            #expect(try client.latestOffset("idem", 0, readCommitted: false) == 2, "nothing of the refused batch")
            let next = TransactionWireClient.batch(producerID: p.producerID, epoch: 0, sequence: 2)
            #expect(try client.produce("idem", 0, next) == (Self.none, 2), "the expected sequence still goes in")
        }
    }

    @Test func aStaleEpochIsFencedAndANewEpochStartsAtSequenceZero() async throws {
        try await withDevBroker(topics: ["idem": 1]) { broker in
            let client = try TransactionWireClient(broker)
            let p = try client.initProducerID(nil)
            let old = TransactionWireClient.batch(producerID: p.producerID, epoch: 0, sequence: 0)
            #expect(try client.produce("idem", 0, old) == (Self.none, 0))
            let badStart = TransactionWireClient.batch(producerID: p.producerID, epoch: 1, sequence: 7)
            #expect(try client.produce("idem", 0, badStart).error == Self.outOfOrder)
            let bumped = TransactionWireClient.batch(producerID: p.producerID, epoch: 1, sequence: 0)
            #expect(try client.produce("idem", 0, bumped) == (Self.none, 1))
            let stale = TransactionWireClient.batch(producerID: p.producerID, epoch: 0, sequence: 1)
            #expect(try client.produce("idem", 0, stale).error == ErrorCode.invalidProducerEpoch.rawValue)
            #expect(try client.latestOffset("idem", 0, readCommitted: false) == 2)
        }
    }

    /// A marker on a partition the producer never wrote to records its epoch there (Kafka's ProducerStateEntry):
    /// the producer's first batch at that epoch must then start at sequence 0.
    @Test func aPartitionThatOnlyHadAMarkerExpectsSequenceZero() async throws {
        try await withDevBroker(topics: ["idem": 2]) { broker in
            let client = try TransactionWireClient(broker)
            let p = try client.initProducerID("tx-marker-only")
            #expect(try client.addPartitions("tx-marker-only", p, [("idem", [0, 1])])["idem"] == [0: Self.none, 1: Self.none])
            let first = TransactionWireClient.batch(producerID: p.producerID, epoch: p.epoch, sequence: 0, transactional: true)
            #expect(try client.produce("idem", 0, first, transactionalID: "tx-marker-only") == (Self.none, 0))
            #expect(try client.endTxn("tx-marker-only", p, commit: true) == Self.none)
            #expect(try client.addPartitions("tx-marker-only", p, [("idem", [1])])["idem"]?[1] == Self.none)
            let late = TransactionWireClient.batch(producerID: p.producerID, epoch: p.epoch, sequence: 4, transactional: true)
            #expect(try client.produce("idem", 1, late, transactionalID: "tx-marker-only").error == Self.outOfOrder)
            let start = TransactionWireClient.batch(producerID: p.producerID, epoch: p.epoch, sequence: 0, transactional: true)
            #expect(try client.produce("idem", 1, start, transactionalID: "tx-marker-only") == (Self.none, 1))
        }
    }

    @Test func sequencesAreKeptPerPartition() async throws {
        try await withDevBroker(topics: ["idem": 2]) { broker in
            let client = try TransactionWireClient(broker)
            let p = try client.initProducerID(nil)
            for partition in Int32(0)...1 {
                let b = TransactionWireClient.batch(producerID: p.producerID, epoch: 0, sequence: 0, count: 2)
                #expect(try client.produce("idem", partition, b) == (Self.none, 0))
            }
            let b = TransactionWireClient.batch(producerID: p.producerID, epoch: 0, sequence: 2)
            #expect(try client.produce("idem", 1, b) == (Self.none, 2))
        }
    }
}
