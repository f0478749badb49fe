import NIOCore

/// One member of a classic group: what it last joined with, its assignment, and the requests it has parked.
/// Guarded by the group coordinator's lock.
final class GroupMember {
    let memberID: String
    let groupInstanceID: String?
    var clientID: String
    var clientHost: String
    var rebalanceTimeoutMs: Int32
    var sessionTimeoutMs: Int32
    let protocolType: String
    /// The protocols it supports, in its order of preference, with their metadata.
    var protocols: [(name: String, metadata: ByteBuffer)]
    var assignment = ByteBuffer()
    /// JoinGroup requests waiting for the rebalance to complete (normally one; a retry on another connection adds one).
    var joinWaits: [GroupWait<JoinOutcome>] = []
    var syncWaits: [GroupWait<SyncOutcome>] = []
    /// Joined and not yet through a completed join phase: its session does not protect it yet (Kafka's isNew).
    var isNew = false
    var heartbeat = GroupTimerSlot()

    init(
        memberID: String, groupInstanceID: String?, clientID: String, clientHost: String, rebalanceTimeoutMs: Int32,
        sessionTimeoutMs: Int32, protocolType: String, protocols: [(name: String, metadata: ByteBuffer)]
    ) {
        self.memberID = memberID
        self.groupInstanceID = groupInstanceID
        self.clientID = clientID
        self.clientHost = clientHost
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.sessionTimeoutMs = sessionTimeoutMs
        self.protocolType = protocolType
        self.protocols = protocols
    }

    var isAwaitingJoin: Bool { !joinWaits.isEmpty }
    var isAwaitingSync: Bool { !syncWaits.isEmpty }

    /// Kafka's hasSatisfiedHeartbeat: a member parked in a rebalance is alive by definition, unless it is new.
    var hasSatisfiedHeartbeat: Bool { !isNew && (isAwaitingJoin || isAwaitingSync) }

    func metadata(for name: String) -> ByteBuffer? { protocols.first { $0.name == name }?.metadata }

    /// Whether `other` is the same protocol list (names, order and metadata).
    func matches(_ other: [(name: String, metadata: ByteBuffer)]) -> Bool {
        protocols.count == other.count && zip(protocols, other).allSatisfy { $0.name == $1.name && $0.metadata == $1.metadata }
    }

    /// Its preferred protocol among `candidates`.
    func vote(_ candidates: Set<String>) -> String? { protocols.first { candidates.contains($0.name) }?.name }

    /// Completes every parked JoinGroup with `outcome`.
    func completeJoin(_ outcome: JoinOutcome) {
        let waits = joinWaits
        joinWaits.removeAll()
        for w in waits { w.complete(outcome) }
    }

    /// Completes every parked SyncGroup; true when there was one.
    @discardableResult
    func completeSync(_ outcome: SyncOutcome) -> Bool {
        let waits = syncWaits
        syncWaits.removeAll()
        for w in waits { w.complete(outcome) }
        return !waits.isEmpty
    }
}

/// What a JoinGroup is answered with.
struct JoinOutcome: Sendable {
    var error: ErrorCode
    var generationID: Int32 = -1
    var protocolName: String?
    var leader = ""
    var memberID = ""
    /// For the leader only: every member with its metadata for the chosen protocol.
    var members: [(memberID: String, groupInstanceID: String?, metadata: ByteBuffer)] = []

    init(error: ErrorCode, memberID: String = "") {
        self.error = error
        self.memberID = memberID
    }
}

/// What a SyncGroup is answered with.
struct SyncOutcome: Sendable {
    var error: ErrorCode
    var assignment = ByteBuffer()
}

/// A timer of the coordinator (a member's session, a group's join or sync deadline): the token makes a timer that
/// fires after it was replaced or cancelled a no-op, since cancelling cannot stop one already waiting for the lock.
struct GroupTimerSlot {
    var token: UInt64 = 0
    var scheduled: Scheduled<Void>?

    mutating func cancel() {
        token &+= 1
        scheduled?.cancel()
        scheduled = nil
    }
}
