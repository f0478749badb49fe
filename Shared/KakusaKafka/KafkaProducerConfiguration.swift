/// How a producer is set up. Kakusa's producers are always idempotent with `acks=all`, so a retry
/// never writes a record twice and an acknowledged record is on every in-sync replica.
public struct KafkaProducerConfiguration: Sendable {
    public var kafka: KafkaConfiguration
    public var clientID: String
    /// Set for a transactional producer (exactly-once consume → produce); unique per instance and stable
    /// across its restarts, so that a restarted instance fences its predecessor.
    public var transactionalID: String?
    /// How long librdkafka waits to fill a batch: a little latency for much throughput.
    public var lingerMilliseconds: Int
    /// librdkafka's local queue; when it is full, sending waits (back-pressure) and never drops.
    public var queueMaxMessages: Int
    /// How long a record may take to be acknowledged, retries included, before it fails.
    public var messageTimeoutMilliseconds: Int

    public init(
        kafka: KafkaConfiguration, clientID: String = "kakusa", transactionalID: String? = nil,
        lingerMilliseconds: Int = 5, queueMaxMessages: Int = 100_000, messageTimeoutMilliseconds: Int = 120_000
    ) {
        self.kafka = kafka
        self.clientID = clientID
        self.transactionalID = transactionalID
        self.lingerMilliseconds = lingerMilliseconds
        self.queueMaxMessages = queueMaxMessages
        self.messageTimeoutMilliseconds = messageTimeoutMilliseconds
    }

    /// The librdkafka properties: Kakusa's defaults, then the user's pass-through properties, then the
    /// guarantees that are not negotiable.
    var properties: [String: String] {
        var p: [String: String] = [
            "client.id": clientID,
            "linger.ms": String(lingerMilliseconds),
            "queue.buffering.max.messages": String(queueMaxMessages),
            "message.timeout.ms": String(messageTimeoutMilliseconds),
            "batch.num.messages": "10000",
            "batch.size": "1000000",
            "sticky.partitioning.linger.ms": "0",
        ]
        p.merge(kafka.properties.filter { !consumerOnly.contains($0.key) }) { _, user in user }
        p["bootstrap.servers"] = kafka.bootstrapServers
        p["enable.idempotence"] = "true"
        p["acks"] = "all"
        if let transactionalID {
            p["transactional.id"] = transactionalID
            let transactionTimeout = p["transaction.timeout.ms"].flatMap(Int.init) ?? 60_000
            p["transaction.timeout.ms"] = String(transactionTimeout)
            // librdkafka refuses a record timeout longer than the transaction's.
            p["message.timeout.ms"] = String(min(messageTimeoutMilliseconds, transactionTimeout))
        }
        return p
    }
}

/// Properties a consumer takes that librdkafka refuses, or warns about, on a producer.
let consumerOnly: Set<String> = [
    "group.id", "group.instance.id", "session.timeout.ms", "heartbeat.interval.ms", "auto.offset.reset",
    "enable.auto.commit", "enable.auto.offset.store", "isolation.level", "max.poll.interval.ms",
    "partition.assignment.strategy", "fetch.min.bytes", "fetch.max.bytes", "fetch.wait.max.ms",
    "queued.min.messages", "queued.max.messages.kbytes", "max.partition.fetch.bytes", "enable.partition.eof",
    "auto.commit.interval.ms", "check.crcs",
]

/// Properties a producer takes that librdkafka refuses, or warns about, on a consumer.
let producerOnly: Set<String> = [
    "acks", "enable.idempotence", "linger.ms", "queue.buffering.max.ms", "queue.buffering.max.messages",
    "queue.buffering.max.kbytes", "batch.num.messages", "batch.size", "message.timeout.ms", "transactional.id",
    "transaction.timeout.ms", "compression.type", "compression.codec", "retries", "message.send.max.retries",
    "retry.backoff.ms", "request.required.acks", "delivery.timeout.ms", "max.in.flight",
    "max.in.flight.requests.per.connection", "sticky.partitioning.linger.ms", "partitioner",
]
