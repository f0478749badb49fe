/// How a consumer is set up: a member of `groupID` reading `topics`, committing by hand only after
/// the work is done, and reading only committed transactions by default.
public struct KafkaConsumerConfiguration: Sendable {
    public enum IsolationLevel: String, Sendable {
        case readCommitted = "read_committed"
        case readUncommitted = "read_uncommitted"
    }

    public var kafka: KafkaConfiguration
    public var groupID: String
    public var topics: [String]
    public var clientID: String
    public var isolationLevel: IsolationLevel
    /// Where a group with no committed offset starts: `earliest` so that nothing published before the
    /// first start is missed.
    public var autoOffsetReset: String
    /// How long a member that left without saying so keeps its partitions. librdkafka's default is 45 s;
    /// `KAFKA_SESSION_TIMEOUT_MS` overrides this (the devbroker runs want ~6 s).
    public var sessionTimeoutMilliseconds: Int?
    /// At most this many records are handed over per poll round.
    public var maxBatchSize: Int
    /// Batches buffered between the polling thread and the reader before polling waits.
    public var bufferedBatches: Int

    public init(
        kafka: KafkaConfiguration, groupID: String, topics: [String], clientID: String = "kakusa",
        isolationLevel: IsolationLevel = .readCommitted, autoOffsetReset: String = "earliest",
        sessionTimeoutMilliseconds: Int? = nil, maxBatchSize: Int = 2000, bufferedBatches: Int = 4
    ) {
        self.kafka = kafka
        self.groupID = groupID
        self.topics = topics
        self.clientID = clientID
        self.isolationLevel = isolationLevel
        self.autoOffsetReset = autoOffsetReset
        self.sessionTimeoutMilliseconds = sessionTimeoutMilliseconds
        self.maxBatchSize = maxBatchSize
        self.bufferedBatches = bufferedBatches
    }

    /// librdkafka stops fetching for all partitions once the consumer queue holds `queued.min.messages`, and its
    /// broker threads look again only after their 1 s wake-up (2.0.2 has no `fetch.queue.backoff.ms`): a reader
    /// that empties 100k records (the default) in under a second stalls for the rest of it. Measured with 1M records
    /// on the devbroker: 1.2–2.2 s with gaps of 0.6 s, 0.55 s without. The queue stays bounded by bytes
    /// (`queued.max.messages.kbytes`, 64 MiB by default); both can be overridden.
    static let queuedMinMessages = "1000000"

    var properties: [String: String] {
        var p: [String: String] = [
            "client.id": clientID,
            "group.id": groupID,
            "auto.offset.reset": autoOffsetReset,
            "isolation.level": isolationLevel.rawValue,
            "enable.partition.eof": "false",
            "queued.min.messages": Self.queuedMinMessages,
        ]
        if let sessionTimeoutMilliseconds {
            p["session.timeout.ms"] = String(sessionTimeoutMilliseconds)
            p["heartbeat.interval.ms"] = String(max(sessionTimeoutMilliseconds / 3, 100))
        }
        p.merge(kafka.properties.filter { !producerOnly.contains($0.key) }) { _, user in user }
        p["bootstrap.servers"] = kafka.bootstrapServers
        // Offsets move only when the application commits, after its work is durable.
        p["enable.auto.commit"] = "false"
        p["enable.auto.offset.store"] = "false"
        return p
    }
}
