/// What the transaction coordinator must keep across a restart: every transactional id's entry and the next
/// producer id to hand out (Kafka keeps these in __transaction_state and the producer id blocks).
public struct TransactionSnapshot: Sendable, Codable, Equatable {
    public var nextProducerID: Int64
    /// Sorted by transactional id, so that equal states give equal snapshots.
    public var transactions: [TransactionMetadata]

    public init(nextProducerID: Int64, transactions: [TransactionMetadata]) {
        self.nextProducerID = nextProducerID
        self.transactions = transactions
    }
}
