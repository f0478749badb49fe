/// One transactional id's entry in the transaction coordinator (Kafka's TransactionMetadata, transactions v1):
/// its producer id and epoch, its state and, while a transaction is open, the partitions and groups in it.
public struct TransactionMetadata: Sendable, Codable, Equatable {
    /// Kafka's transaction states; the prepare states last only while markers are written.
    public enum State: String, Sendable, Codable {
        case empty = "Empty"
        case ongoing = "Ongoing"
        case prepareCommit = "PrepareCommit"
        case prepareAbort = "PrepareAbort"
        case completeCommit = "CompleteCommit"
        case completeAbort = "CompleteAbort"
    }

    /// A partition of the transaction.
    public struct Partition: Sendable, Codable, Hashable, Comparable, CustomStringConvertible {
        public var topic: String
        public var partition: Int32

        public init(topic: String, partition: Int32) {
            self.topic = topic
            self.partition = partition
        }

        public static func < (a: Partition, b: Partition) -> Bool {
            (a.topic, a.partition) < (b.topic, b.partition)
        }

        public var description: String { "\(topic)-\(partition)" }
    }

    public let transactionalID: String
    public var producerID: Int64
    /// The producer id before the last rotation (epoch exhaustion), -1 if none.
    public var previousProducerID: Int64 = -1
    /// -1 until the first InitProducerId completes.
    public var producerEpoch: Int16
    public var timeoutMilliseconds: Int32
    public var state: State
    public var partitions: Set<Partition> = []
    /// Consumer groups whose offsets the transaction commits (AddOffsetsToTxn).
    public var groups: Set<String> = []
    /// When the open transaction began (its first AddPartitionsToTxn or AddOffsetsToTxn), -1 when none is open.
    public var startTimestamp: Int64 = -1
    public var lastUpdateTimestamp: Int64

    public init(
        transactionalID: String, producerID: Int64, producerEpoch: Int16, timeoutMilliseconds: Int32, state: State,
        lastUpdateTimestamp: Int64
    ) {
        self.transactionalID = transactionalID
        self.producerID = producerID
        self.producerEpoch = producerEpoch
        self.timeoutMilliseconds = timeoutMilliseconds
        self.state = state
        self.lastUpdateTimestamp = lastUpdateTimestamp
    }

    /// Kafka rotates to a new producer id once the epoch reaches Short.MAX_VALUE - 1, keeping one bump for a fence.
    static func isEpochExhausted(_ epoch: Int16) -> Bool { epoch >= Int16.max - 1 }

    /// When the broker aborts the open transaction, if one is open.
    var deadline: Int64? {
        state == .ongoing ? startTimestamp + Int64(timeoutMilliseconds) : nil
    }
}
