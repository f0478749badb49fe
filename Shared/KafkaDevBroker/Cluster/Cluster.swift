import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The whole broker cluster's state: topics and their partition logs, which broker leads what, and the
/// coordinators. One lock guards the logs; the coordinators keep their own.
public final class Cluster: @unchecked Sendable {
    public struct Broker: Sendable {
        public let id: Int32
        public let host: String
        public var port: Int
        public var up = true
    }

    struct Topic {
        let name: String
        let id: UInt128
        var config: TopicConfig
        var partitions: [PartitionLog]
    }

    let lock = NIOLock()
    let logger: Logger
    private(set) var brokersLocked: [Broker]
    var topics: [String: Topic] = [:]
    /// Total bytes of every partition's batches, against `maxMemory`.
    var storedBytes = 0
    /// Past this many stored bytes a produce is refused (nil: no budget).
    let maxMemory: Int?
    /// Where topics, batches and coordinator state are kept across restarts; nil keeps them in memory only.
    /// Set once, before the listeners start.
    var dataDirectory: DataDirectory?
    let clusterID = "kakusa-devbroker"
    /// Partitions of a topic created with -1 (CreateTopics v4), Kafka's `num.partitions`.
    public var defaultPartitions = 1
    private var waiters: [Waiter] = []
    /// Errors to inject: API key to the codes still to answer, in order.
    private var injected: [Int16: [Int16]] = [:]
    /// Per-broker answer delays in milliseconds.
    private var delays: [Int32: Int64] = [:]

    /// SASL users and their passwords; nil leaves SASL off (a plaintext listener).
    public let saslUsers: [String: String]?
    public let groups: GroupCoordinator
    public let transactions: TransactionCoordinator

    public init(brokers: [Broker], maxMemory: Int? = nil, saslUsers: [String: String]? = nil, logger: Logger) {
        self.brokersLocked = brokers
        self.saslUsers = saslUsers
        self.maxMemory = maxMemory
        self.logger = logger
        self.groups = GroupCoordinator(logger: logger)
        self.transactions = TransactionCoordinator(logger: logger)
        transactions.cluster = self
        groups.cluster = self
    }

    public var brokers: [Broker] { lock.withLock { brokersLocked } }

    func updateBroker(_ id: Int32, _ change: (inout Broker) -> Void) {
        lock.withLock {
            if let i = brokersLocked.firstIndex(where: { $0.id == id }) { change(&brokersLocked[i]) }
        }
        notifyAll()
    }

    /// The broker that leads `partition`: its preferred broker (partition modulo brokers) or, while that one is
    /// down, the next live one, as an in-sync failover with acks=all would pick. Nil when all are down.
    func leaderLocked(partition: Int32) -> Int32? {
        Self.pick(Int(partition), among: brokersLocked)
    }

    /// The controller: the first live broker (admin clients send CreateTopics and DeleteTopics to it).
    var controllerID: Int32? { lock.withLock { brokersLocked.first(where: \.up)?.id } }

    /// The coordinator for a group or transactional id: a hash of the key picks a broker, failing over the same way.
    public func coordinator(for key: String) -> Broker? {
        lock.withLock {
            var hash: UInt32 = 2_166_136_261
            for b in key.utf8 { hash = (hash ^ UInt32(b)) &* 16_777_619 }
            guard let id = Self.pick(Int(hash % UInt32(max(brokersLocked.count, 1))), among: brokersLocked) else {
                return nil
            }
            return brokersLocked.first { $0.id == id }
        }
    }

    private static func pick(_ preferred: Int, among brokers: [Broker]) -> Int32? {
        guard !brokers.isEmpty else { return nil }
        for step in 0..<brokers.count {
            let b = brokers[(preferred + step) % brokers.count]
            if b.up { return b.id }
        }
        return nil
    }

    // MARK: Topics

    public enum CreateError: Error, Equatable {
        case exists, invalidPartitions, invalidName(String), invalidConfig(String)
    }

    /// Creates a topic; the devbroker's own topics and CreateTopics both come here.
    public func createTopic(_ name: String, partitions: Int, config: [String: String] = [:]) throws(CreateError) {
        guard Self.isValidTopicName(name) else {
            throw .invalidName("Topic name \"\(name)\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'")
        }
        guard partitions > 0 && partitions <= 10_000 else { throw .invalidPartitions }
        let parsed: TopicConfig
        do { parsed = try TopicConfig(config) } catch { throw .invalidConfig(error.reason) }
        let created = lock.withLock { () -> Bool in
            guard topics[name] == nil else { return false }
            let logs = (0..<partitions).map { PartitionLog(topic: name, partition: Int32($0), config: parsed) }
            for log in logs { log.storage = makeStorage(topic: name, partition: Int(log.partition)) }
            topics[name] = Topic(name: name, id: UInt128.random(in: 1...UInt128.max), config: parsed, partitions: logs)
            return true
        }
        guard created else { throw .exists }
        dataDirectory?.saveTopics(self)
        logger.info("topic created", metadata: ["topic": "\(name)", "partitions": "\(partitions)"])
    }

    public func deleteTopic(_ name: String) -> Bool {
        let removed = lock.withLock { () -> Topic? in
            guard let topic = topics.removeValue(forKey: name) else { return nil }
            storedBytes -= topic.partitions.reduce(0) { $0 + $1.sizeInBytes }
            return topic
        }
        if let removed { dataDirectory?.topicDeleted(name, partitions: removed.partitions, cluster: self) }
        if removed != nil { logger.info("topic deleted", metadata: ["topic": "\(name)"]) }
        return removed != nil
    }

    static func isValidTopicName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 249, name != ".", name != ".." else { return false }
        return name.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x2e || b == 0x5f
                || b == 0x2d
        }
    }

    /// Runs `body` with the partition's log under the lock; nil when the topic or partition does not exist.
    func withPartition<T>(_ topic: String, _ partition: Int32, _ body: (PartitionLog) -> T) -> T? {
        lock.withLock {
            guard let t = topics[topic], partition >= 0, Int(partition) < t.partitions.count else { return nil }
            return body(t.partitions[Int(partition)])
        }
    }

    // MARK: Change notification (fetch long polls)

    /// A fetch waiting for data: resumed by any append, marker or broker change, or by its deadline.
    final class Waiter: @unchecked Sendable {
        private let lock = NIOLock()
        private var continuation: CheckedContinuation<Void, Never>?
        private var done = false

        func arm(_ c: CheckedContinuation<Void, Never>) {
            let resumeNow = lock.withLock { () -> Bool in
                if done { return true }
                continuation = c
                return false
            }
            if resumeNow { c.resume() }
        }

        func fire() {
            let c = lock.withLock { () -> CheckedContinuation<Void, Never>? in
                done = true
                defer { continuation = nil }
                return continuation
            }
            c?.resume()
        }
    }

    /// Counts the changes `notifyAll` announced, so that a fetch that read at one count can tell whether it missed one.
    private(set) var changeGeneration: UInt64 = 0

    /// Waits until something in the cluster changes after the read that saw `generation`, or until `deadline`.
    func waitForChange(since generation: UInt64, until deadline: NIODeadline, on eventLoop: any EventLoop) async {
        let waiter = Waiter()
        let changed = lock.withLock { () -> Bool in
            if changeGeneration != generation { return true }
            waiters.append(waiter)
            return false
        }
        if changed { return }
        let timer = eventLoop.scheduleTask(deadline: deadline) { waiter.fire() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { waiter.arm($0) }
        } onCancel: {
            waiter.fire()
        }
        timer.cancel()
        lock.withLock { waiters.removeAll { $0 === waiter } }
    }

    /// Wakes every waiting fetch; called after anything a fetch could be waiting for.
    func notifyAll() {
        let woken = lock.withLock { () -> [Waiter] in
            changeGeneration &+= 1
            defer { waiters.removeAll(keepingCapacity: true) }
            return waiters
        }
        for w in woken { w.fire() }
    }

    // MARK: Fault controls

    public func injectErrors(api: Int16, code: Int16, count: Int) {
        lock.withLock { injected[api, default: []].append(contentsOf: repeatElement(code, count: count)) }
    }

    /// The error injected for the next request of `api`, if any is queued.
    func takeInjectedError(api: Int16) -> Int16? {
        lock.withLock {
            guard var queue = injected[api], !queue.isEmpty else { return nil }
            let code = queue.removeFirst()
            injected[api] = queue
            return code
        }
    }

    public func setDelay(broker: Int32, milliseconds: Int64) {
        lock.withLock { delays[broker] = milliseconds > 0 ? milliseconds : nil }
    }

    func delay(broker: Int32) -> Int64 { lock.withLock { delays[broker] ?? 0 } }
}
