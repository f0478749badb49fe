import Foundation
@testable import KafkaDevBroker
import NIOCore
import NIOPosix
import Testing

/// The transaction coordinator on the wire, request by request, against what Kafka documents for
/// InitProducerId v0-1, AddPartitionsToTxn v0, AddOffsetsToTxn v0, EndTxn v0-1 and transactional Produce
/// (KIP-98; KIP-588's INVALID_PRODUCER_EPOCH for these versions; KIP-890's partition verification).
@Suite struct TransactionCoordinatorTests {
    static let none = ErrorCode.none.rawValue
    static let invalidProducerEpoch = ErrorCode.invalidProducerEpoch.rawValue
    static let invalidTxnState = ErrorCode.invalidTxnState.rawValue

    @Test func initProducerIdWithoutTransactionalIdGivesEveryBrokerFreshIdsAtEpochZero() async throws {
        try await withDevBroker(brokers: 3) { broker in
            var ids: Set<Int64> = []
            for id in Int32(1)...3 {
                let client = try TransactionWireClient(broker, id: id)
                let a = try client.initProducerID(nil)
                let b = try client.initProducerID(nil, version: 0)
                #expect(a.error == Self.none && b.error == Self.none)
                #expect(a.epoch == 0 && b.epoch == 0)
                ids.formUnion([a.producerID, b.producerID])
            }
            #expect(ids.count == 6, "every idempotent producer gets its own id")
            #expect(ids.allSatisfy { $0 >= 0 })
        }
    }

    @Test func aTransactionalIdKeepsItsProducerIdAndFencesOlderEpochs() async throws {
        try await withDevBroker(topics: ["t": 2]) { broker in
            let client = try TransactionWireClient(broker)
            let first = try client.initProducerID("tx-fence")
            #expect(first.error == Self.none)
            #expect(first.epoch == 0)
            let second = try client.initProducerID("tx-fence")
            #expect(second.error == Self.none)
            #expect(second.producerID == first.producerID)
            #expect(second.epoch == 1)
            // The older instance is fenced on every API (PRODUCER_FENCED is answered as 47 below v2/v4).
            #expect(try client.addPartitions("tx-fence", first, [("t", [0])])["t"]?[0] == Self.invalidProducerEpoch)
            #expect(try client.addOffsets("tx-fence", first, group: "g") == Self.invalidProducerEpoch)
            #expect(try client.endTxn("tx-fence", first, commit: true) == Self.invalidProducerEpoch)
            #expect(try client.endTxn("tx-fence", first, commit: false, version: 0) == Self.invalidProducerEpoch)
            // A producer id the transactional id does not have.
            var other = second
            other.producerID += 1000
            #expect(
                try client.addPartitions("tx-fence", other, [("t", [0])])["t"]?[0]
                    == ErrorCode.invalidProducerIdMapping.rawValue)
            #expect(try client.endTxn("unknown-id", second, commit: true) == ErrorCode.invalidProducerIdMapping.rawValue)
            #expect(try client.addPartitions("tx-fence", second, [("t", [0, 1])])["t"] == [0: Self.none, 1: Self.none])
        }
    }

    @Test func transactionTimeoutsOutsideTheBrokersLimitAreRefused() async throws {
        try await withDevBroker { broker in
            let client = try TransactionWireClient(broker)
            let invalid = ErrorCode.invalidTransactionTimeout.rawValue
            let over = try client.initProducerID("tx-timeout", timeout: 900_001)
            #expect(over.error == invalid)
            #expect(over.producerID == -1 && over.epoch == -1)
            #expect(try client.initProducerID("tx-timeout", timeout: 0).error == invalid)
            #expect(try client.initProducerID("tx-timeout", timeout: 900_000).error == Self.none)
            #expect(try client.initProducerID("", timeout: 1000).error == ErrorCode.invalidRequest.rawValue)
        }
    }

    @Test func requestsForATransactionalIdAreServedByItsCoordinatorOnly() async throws {
        try await withDevBroker(brokers: 3, topics: ["t": 1]) { broker in
            let id = "tx-coordinator"
            let coordinator = try #require(broker.cluster.coordinator(for: id)?.id)
            let home = try TransactionWireClient(broker, id: coordinator)
            let p = try home.initProducerID(id)
            #expect(p.error == Self.none)
            let notCoordinator = ErrorCode.notCoordinator.rawValue
            for other in Int32(1)...3 where other != coordinator {
                let client = try TransactionWireClient(broker, id: other)
                #expect(try client.initProducerID(id).error == notCoordinator)
                #expect(try client.addPartitions(id, p, [("t", [0])])["t"]?[0] == notCoordinator)
                #expect(try client.addOffsets(id, p, group: "g") == notCoordinator)
                #expect(try client.endTxn(id, p, commit: true) == notCoordinator)
            }
            #expect(try home.addPartitions(id, p, [("t", [0])])["t"]?[0] == Self.none)
            #expect(try home.endTxn(id, p, commit: true) == Self.none)
        }
    }

    @Test func anUnknownPartitionFailsTheWholeAddPartitionsRequest() async throws {
        try await withDevBroker(topics: ["t": 1]) { broker in
            let client = try TransactionWireClient(broker)
            let p = try client.initProducerID("tx-unknown")
            let result = try client.addPartitions("tx-unknown", p, [("t", [0, 5]), ("missing", [0])])
            #expect(result["t"]?[0] == ErrorCode.operationNotAttempted.rawValue)
            #expect(result["t"]?[5] == ErrorCode.unknownTopicOrPartition.rawValue)
            #expect(result["missing"]?[0] == ErrorCode.unknownTopicOrPartition.rawValue)
            // Nothing was added: no transaction is open, so there is nothing to end, and t-0 takes no batch.
            #expect(try client.endTxn("tx-unknown", p, commit: true) == Self.invalidTxnState)
            let batch = TransactionWireClient.batch(producerID: p.producerID, epoch: p.epoch, sequence: 0, transactional: true)
            #expect(try client.produce("t", 0, batch, transactionalID: "tx-unknown").error == Self.invalidTxnState)
        }
    }

    @Test func aRetriedEndTxnSucceedsAndTheOtherResultIsRefused() async throws {
        try await withDevBroker(topics: ["t": 1]) { broker in
            let client = try TransactionWireClient(broker)
            let p = try client.initProducerID("tx-retry")
            #expect(try client.addPartitions("tx-retry", p, [("t", [0])])["t"]?[0] == Self.none)
            let batch = TransactionWireClient.batch(producerID: p.producerID, epoch: p.epoch, sequence: 0, transactional: true)
            #expect(try client.produce("t", 0, batch, transactionalID: "tx-retry").error == Self.none)
            #expect(try client.endTxn("tx-retry", p, commit: true) == Self.none)
            #expect(try client.endTxn("tx-retry", p, commit: true) == Self.none, "a retry of a completed commit")
            #expect(try client.endTxn("tx-retry", p, commit: false) == Self.invalidTxnState)
            // One marker only: the retry wrote nothing.
            #expect(try client.latestOffset("t", 0, readCommitted: false) == 2)
            // The next transaction, same epoch, goes on with the partition's sequence.
            #expect(try client.addPartitions("tx-retry", p, [("t", [0])])["t"]?[0] == Self.none)
            let next = TransactionWireClient.batch(producerID: p.producerID, epoch: p.epoch, sequence: 1, transactional: true)
            #expect(try client.produce("t", 0, next, transactionalID: "tx-retry") == (Self.none, 2))
            #expect(try client.endTxn("tx-retry", p, commit: false) == Self.none)
            #expect(try client.endTxn("tx-retry", p, commit: false) == Self.none)
            #expect(try client.endTxn("tx-retry", p, commit: true) == Self.invalidTxnState)
        }
    }

    @Test func aTransactionWithOnlyOffsetsCanCommit() async throws {
        try await withDevBroker(topics: ["t": 1]) { broker in
            let client = try TransactionWireClient(broker)
            let p = try client.initProducerID("tx-offsets")
            #expect(try client.addOffsets("tx-offsets", p, group: "group-a") == Self.none)
            #expect(try client.addOffsets("tx-offsets", p, group: "group-a") == Self.none)
            #expect(try client.endTxn("tx-offsets", p, commit: true) == Self.none)
            #expect(try client.endTxn("tx-offsets", p, commit: true) == Self.none)
            #expect(try client.latestOffset("t", 0, readCommitted: false) == 0, "no partition, no marker")
        }
    }

    @Test func offsetsInATransactionCommitWithItAndAreDroppedByAnAbortOrAFence() async throws {
        try await withDevBroker(topics: ["in": 1]) { broker in
            let client = try TransactionWireClient(broker)
            let id = "tx-group-offsets"
            let p = try client.initProducerID(id)
            #expect(try client.addOffsets(id, p, group: "g-tx") == Self.none)
            #expect(try client.txnOffsetCommit(id, p, group: "g-tx", "in", 0, offset: 7) == Self.none)
            #expect(try client.committedOffset(group: "g-tx", "in", 0) == -1, "pending until the commit")
            #expect(try client.endTxn(id, p, commit: true) == Self.none)
            #expect(try client.committedOffset(group: "g-tx", "in", 0) == 7)

            #expect(try client.addOffsets(id, p, group: "g-tx") == Self.none)
            #expect(try client.txnOffsetCommit(id, p, group: "g-tx", "in", 0, offset: 9) == Self.none)
            #expect(try client.endTxn(id, p, commit: false) == Self.none)
            #expect(try client.committedOffset(group: "g-tx", "in", 0) == 7, "an abort drops them")

            #expect(try client.addOffsets(id, p, group: "g-tx") == Self.none)
            #expect(try client.txnOffsetCommit(id, p, group: "g-tx", "in", 0, offset: 11) == Self.none)
            let next = try client.initProducerID(id)
            #expect(next.epoch == p.epoch + 2)
            #expect(try client.committedOffset(group: "g-tx", "in", 0) == 7, "a fence aborts them")
            #expect(try client.addOffsets(id, next, group: "g-tx") == Self.none)
            #expect(try client.txnOffsetCommit(id, next, group: "g-tx", "in", 0, offset: 12) == Self.none)
            #expect(try client.endTxn(id, next, commit: true) == Self.none)
            #expect(try client.committedOffset(group: "g-tx", "in", 0) == 12)
        }
    }

    @Test func transactionalBatchesNeedTheirPartitionInTheTransactionAndTheCurrentEpoch() async throws {
        try await withDevBroker(topics: ["t": 2]) { broker in
            let client = try TransactionWireClient(broker)
            let p = try client.initProducerID("tx-verify")
            #expect(try client.addPartitions("tx-verify", p, [("t", [0])])["t"]?[0] == Self.none)
            func batch(epoch: Int16, sequence: Int32) -> ByteBuffer {
                TransactionWireClient.batch(producerID: p.producerID, epoch: epoch, sequence: sequence, transactional: true)
            }
            #expect(try client.produce("t", 1, batch(epoch: p.epoch, sequence: 0), transactionalID: "tx-verify").error == Self.invalidTxnState)
            #expect(try client.produce("t", 0, batch(epoch: p.epoch + 1, sequence: 0), transactionalID: "tx-verify").error == Self.invalidProducerEpoch)
            #expect(try client.produce("t", 0, batch(epoch: p.epoch, sequence: 0), transactionalID: "tx-verify") == (Self.none, 0))
            // A producer id no transactional id has.
            let stray = TransactionWireClient.batch(producerID: p.producerID + 77, epoch: 0, sequence: 0, transactional: true)
            #expect(try client.produce("t", 0, stray, transactionalID: "tx-verify").error == ErrorCode.invalidProducerIdMapping.rawValue)
            // After the commit the partition is no longer in a transaction.
            #expect(try client.endTxn("tx-verify", p, commit: true) == Self.none)
            #expect(try client.produce("t", 0, batch(epoch: p.epoch, sequence: 1), transactionalID: "tx-verify").error == Self.invalidTxnState)
        }
    }

    @Test func anOpenTransactionHoldsTheLastStableOffsetUntilItsMarker() async throws {
        try await withDevBroker(topics: ["t": 1]) { broker in
            let client = try TransactionWireClient(broker)
            let plain = try client.initProducerID(nil)
            let before = TransactionWireClient.batch(producerID: plain.producerID, epoch: 0, sequence: 0, count: 3)
            #expect(try client.produce("t", 0, before) == (Self.none, 0))
            let p = try client.initProducerID("tx-lso")
            #expect(try client.addPartitions("tx-lso", p, [("t", [0])])["t"]?[0] == Self.none)
            let open = TransactionWireClient.batch(producerID: p.producerID, epoch: p.epoch, sequence: 0, count: 2, transactional: true)
            #expect(try client.produce("t", 0, open, transactionalID: "tx-lso") == (Self.none, 3))
            #expect(try client.latestOffset("t", 0, readCommitted: true) == 3)
            #expect(try client.latestOffset("t", 0, readCommitted: false) == 5)
            let held = try client.fetch("t", 0, from: 0, readCommitted: true)
            #expect(held.lastStableOffset == 3 && held.highWatermark == 5)
            #expect(held.dataRecordCount == 3, "read_committed stops at the last stable offset")
            #expect(try client.fetch("t", 0, from: 0, readCommitted: false).dataRecordCount == 5)

            #expect(try client.endTxn("tx-lso", p, commit: false) == Self.none)
            #expect(try client.latestOffset("t", 0, readCommitted: true) == 6, "past the abort marker")
            let after = try client.fetch("t", 0, from: 0, readCommitted: true)
            #expect(after.lastStableOffset == 6)
            #expect(after.aborted?.map(\.producerID) == [p.producerID])
            #expect(after.aborted?.map(\.firstOffset) == [3])
            let marker = try #require(after.batches.last)
            #expect(marker.isControl && marker.baseOffset == 5 && marker.producerEpoch == p.epoch)
        }
    }

    @Test func aNewInstanceAbortsTheTransactionItFences() async throws {
        try await withDevBroker(topics: ["t": 2]) { broker in
            let client = try TransactionWireClient(broker)
            let zombie = try client.initProducerID("tx-zombie")
            #expect(try client.addPartitions("tx-zombie", zombie, [("t", [0, 1])])["t"] == [0: Self.none, 1: Self.none])
            let batch = TransactionWireClient.batch(producerID: zombie.producerID, epoch: zombie.epoch, sequence: 0, transactional: true)
            #expect(try client.produce("t", 0, batch, transactionalID: "tx-zombie") == (Self.none, 0))
            #expect(try client.latestOffset("t", 0, readCommitted: true) == 0)

            let fresh = try client.initProducerID("tx-zombie")
            #expect(fresh.error == Self.none)
            #expect(fresh.producerID == zombie.producerID)
            // Kafka fences with epoch + 1 (the abort markers' epoch), and the retried InitProducerId bumps again.
            #expect(fresh.epoch == zombie.epoch + 2)
            for partition in Int32(0)...1 {
                let read = try client.fetch("t", partition, from: 0, readCommitted: true)
                #expect(read.lastStableOffset == read.highWatermark)
                let marker = try #require(read.batches.last)
                #expect(marker.isControl && marker.producerEpoch == zombie.epoch + 1)
            }
            #expect(try client.fetch("t", 0, from: 0, readCommitted: true).aborted?.map(\.firstOffset) == [0])
            let late = TransactionWireClient.batch(producerID: zombie.producerID, epoch: zombie.epoch, sequence: 1, transactional: true)
            #expect(try client.produce("t", 0, late, transactionalID: "tx-zombie").error == Self.invalidProducerEpoch)
            #expect(try client.endTxn("tx-zombie", zombie, commit: true) == Self.invalidProducerEpoch)
        }
    }

    @Test func theBrokerAbortsATransactionPastItsTimeout() async throws {
        try await withDevBroker(topics: ["t": 1]) { broker in
            let client = try TransactionWireClient(broker)
            let p = try client.initProducerID("tx-expire", timeout: 500)
            let begun = Date()
            #expect(try client.addPartitions("tx-expire", p, [("t", [0])])["t"]?[0] == Self.none)
            let batch = TransactionWireClient.batch(producerID: p.producerID, epoch: p.epoch, sequence: 0, count: 4, transactional: true)
            #expect(try client.produce("t", 0, batch, transactionalID: "tx-expire") == (Self.none, 0))
            let deadline = Date().addingTimeInterval(10)
            while try client.latestOffset("t", 0, readCommitted: true) == 0 && Date() < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(try client.latestOffset("t", 0, readCommitted: true) == 5, "aborted: the marker is at 4")
            #expect(Date().timeIntervalSince(begun) >= 0.5, "not aborted before its timeout")
            let read = try client.fetch("t", 0, from: 0, readCommitted: true)
            #expect(read.aborted?.map(\.firstOffset) == [0])
            // The zombie is fenced: the abort bumped its epoch.
            #expect(try client.endTxn("tx-expire", p, commit: true) == Self.invalidProducerEpoch)
            #expect(try client.addPartitions("tx-expire", p, [("t", [0])])["t"]?[0] == Self.invalidProducerEpoch)
            let next = try client.initProducerID("tx-expire", timeout: 60_000)
            #expect(next.producerID == p.producerID && next.epoch == p.epoch + 2)
        }
    }

    @Test func spentEpochsRotateToANewProducerIdAndSnapshotsRoundTrip() async throws {
        try await withDevBroker(topics: ["t": 1]) { broker in
            let client = try TransactionWireClient(broker)
            let p = try client.initProducerID("tx-rotate")
            #expect(try client.addPartitions("tx-rotate", p, [("t", [0])])["t"]?[0] == Self.none)
            let coordinator = broker.cluster.transactions
            var snapshot = coordinator.snapshot()
            let entry = try #require(snapshot.transactions.first { $0.transactionalID == "tx-rotate" })
            #expect(entry.state == .ongoing && entry.partitions == [.init(topic: "t", partition: 0)])
            #expect(entry.producerID == p.producerID && entry.producerEpoch == p.epoch && entry.timeoutMilliseconds == 60_000)
            #expect(entry.startTimestamp > 0)
            #expect(snapshot.nextProducerID > p.producerID)
            // Restoring what was taken changes nothing.
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            coordinator.restore(snapshot, timersOn: loop)
            #expect(coordinator.snapshot() == snapshot)
            let encoded = try JSONEncoder().encode(snapshot)
            #expect(try JSONDecoder().decode(TransactionSnapshot.self, from: encoded) == snapshot)

            // The last usable epoch: the next InitProducerId must move to a new producer id at epoch 0.
            snapshot.transactions = snapshot.transactions.map { t in
                var t = t
                t.producerEpoch = Int16.max - 1
                t.state = .completeCommit
                t.partitions = []
                return t
            }
            coordinator.restore(snapshot, timersOn: loop)
            let rotated = try client.initProducerID("tx-rotate")
            #expect(rotated.error == Self.none)
            #expect(rotated.producerID != p.producerID && rotated.epoch == 0)
            #expect(coordinator.snapshot().transactions.first?.previousProducerID == p.producerID)
            let idempotent = try client.initProducerID(nil)
            #expect(idempotent.producerID != rotated.producerID && idempotent.producerID != p.producerID)
        }
    }
}
