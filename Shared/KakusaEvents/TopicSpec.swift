/// What to create for one topic: its full name, partition count and cleanup policy.
public struct TopicSpec: Sendable, Equatable, Hashable {
    /// The full name on the broker, prefix included.
    public var name: String
    /// Partitions to create it with.
    public var partitions: Int
    /// `cleanup.policy=compact` when true (a latest-value view), `delete` otherwise.
    public var compacted: Bool

    public init(name: String, partitions: Int, compacted: Bool) {
        self.name = name
        self.partitions = partitions
        self.compacted = compacted
    }
}
