/// One committed offset of a group, as the coordinator hands it to persistence and takes it back on restore.
public struct GroupOffsetSnapshot: Codable, Sendable, Equatable {
    public var group: String
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var leaderEpoch: Int32
    public var metadata: String
    public var commitTimestamp: Int64

    public init(
        group: String, topic: String, partition: Int32, offset: Int64, leaderEpoch: Int32 = -1, metadata: String = "",
        commitTimestamp: Int64 = -1
    ) {
        self.group = group
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
        self.commitTimestamp = commitTimestamp
    }
}
