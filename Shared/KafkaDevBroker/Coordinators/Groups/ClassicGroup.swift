import NIOCore

/// One consumer group of the classic protocol, as Kafka's ClassicGroup: its state, generation, members (in join
/// order, the first being the leader unless one is elected), pending members (KIP-394) and pending syncs.
/// Guarded by the group coordinator's lock; the rebalance logic lives in the coordinator.
final class ClassicGroup {
    enum State: String, Sendable {
        case empty = "Empty"
        case preparingRebalance = "PreparingRebalance"
        case completingRebalance = "CompletingRebalance"
        case stable = "Stable"
        case dead = "Dead"

        /// The states each state may be entered from (Kafka's validPreviousStates).
        var validPrevious: Set<State> {
            switch self {
            case .empty: [.preparingRebalance]
            case .preparingRebalance: [.stable, .completingRebalance, .empty]
            case .completingRebalance: [.preparingRebalance]
            case .stable: [.completingRebalance]
            case .dead: [.stable, .preparingRebalance, .completingRebalance, .empty, .dead]
            }
        }
    }

    let groupID: String
    private(set) var state: State = .empty
    private(set) var previousState: State = .empty
    var generationID: Int32 = 0
    /// Set by the first member; nil for a simple group (offsets committed without membership).
    var protocolType: String?
    var protocolName: String?
    var leaderID: String?
    private(set) var members: [String: GroupMember] = [:]
    /// Member ids in the order they joined.
    private(set) var order: [String] = []
    /// Instance id to member id, for static members.
    private(set) var staticMembers: [String: String] = [:]
    /// Members given an id by MEMBER_ID_REQUIRED that have not joined with it yet, with their session timers.
    var pendingMembers: [String: GroupTimerSlot] = [:]
    /// Members of this generation that have not sent SyncGroup yet.
    var pendingSync: Set<String> = []
    /// A member joined during the initial rebalance delay (which then extends).
    var newMemberAdded = false
    var joinTimer = GroupTimerSlot()
    var syncTimer = GroupTimerSlot()

    init(groupID: String) { self.groupID = groupID }

    var allMembers: [GroupMember] { order.compactMap { members[$0] } }
    var isEmpty: Bool { members.isEmpty }

    func transition(to next: State) {
        precondition(next.validPrevious.contains(state), "group \(groupID): \(state) -> \(next)")
        previousState = state
        state = next
    }

    var canRebalance: Bool { State.preparingRebalance.validPrevious.contains(state) }

    func add(_ member: GroupMember) {
        if members.isEmpty { protocolType = member.protocolType }
        if let instance = member.groupInstanceID { staticMembers[instance] = member.memberID }
        if leaderID == nil { leaderID = member.memberID }
        members[member.memberID] = member
        order.append(member.memberID)
        pendingMembers[member.memberID]?.cancel()
        pendingMembers[member.memberID] = nil
    }

    func remove(_ memberID: String) {
        if let removed = members.removeValue(forKey: memberID) {
            order.removeAll { $0 == memberID }
            if let instance = removed.groupInstanceID, staticMembers[instance] == memberID { staticMembers[instance] = nil }
            removed.heartbeat.cancel()
        }
        if leaderID == memberID { leaderID = order.first }
        pendingMembers[memberID]?.cancel()
        pendingMembers[memberID] = nil
        pendingSync.remove(memberID)
    }

    func staticMemberID(_ instanceID: String) -> String? { staticMembers[instanceID] }

    /// Kafka's validateMember: UNKNOWN_MEMBER_ID or FENCED_INSTANCE_ID, nil when the member is this group's.
    func validateMember(_ memberID: String, instanceID: String?) -> ErrorCode? {
        if let instanceID {
            guard let existing = staticMembers[instanceID] else { return .unknownMemberId }
            if existing != memberID { return .fencedInstanceId }
        }
        return members[memberID] == nil ? .unknownMemberId : nil
    }

    /// Every known member has a JoinGroup parked and no id handed out is still to join.
    var hasAllMembersJoined: Bool {
        members.values.allSatisfy(\.isAwaitingJoin) && pendingMembers.isEmpty
    }

    /// The longest rebalance timeout of the members: how long a join phase waits for them.
    var rebalanceTimeoutMs: Int32 { members.values.map(\.rebalanceTimeoutMs).max() ?? 0 }

    /// Whether a member with these protocols may join (Kafka's supportsProtocols).
    func supports(protocolType type: String, protocols names: [String]) -> Bool {
        if state == .empty { return !type.isEmpty && !names.isEmpty }
        guard protocolType == type else { return false }
        let candidates = candidateProtocols
        return names.contains { candidates.contains($0) }
    }

    /// Protocols every member supports.
    var candidateProtocols: Set<String> {
        var candidates: Set<String>?
        for m in members.values {
            let names = Set(m.protocols.map(\.name))
            candidates = candidates.map { $0.intersection(names) } ?? names
        }
        return candidates ?? []
    }

    /// The protocol with the most members' votes among those every member supports (ties: the earliest joined
    /// member's preference order, where Kafka's pick is arbitrary).
    func selectProtocol() -> String? {
        let candidates = candidateProtocols
        var votes: [String: Int] = [:]
        for m in allMembers { if let v = m.vote(candidates) { votes[v, default: 0] += 1 } }
        let best = votes.values.max() ?? 0
        for m in allMembers {
            if let p = m.protocols.first(where: { votes[$0.name] == best && candidates.contains($0.name) }) {
                return p.name
            }
        }
        return nil
    }

    /// Keeps the leader if it rejoined, else elects the first member that did; false when no member rejoined.
    func maybeElectNewJoinedLeader() -> Bool {
        guard let leaderID, let leader = members[leaderID] else { return false }
        if leader.isAwaitingJoin { return true }
        if let next = allMembers.first(where: \.isAwaitingJoin) {
            self.leaderID = next.memberID
            return true
        }
        return false
    }

    /// Starts the next generation: CompletingRebalance with a chosen protocol, or Empty when no member is left.
    func initNextGeneration() {
        generationID += 1
        if members.isEmpty {
            protocolName = nil
            transition(to: .empty)
        } else {
            protocolName = selectProtocol()
            transition(to: .completingRebalance)
        }
        pendingSync.removeAll()
    }

    /// The members with their metadata for the chosen protocol, as the leader's JoinGroup answer lists them.
    var joinMembers: [(memberID: String, groupInstanceID: String?, metadata: ByteBuffer)] {
        guard state != .dead && state != .preparingRebalance, let protocolName else { return [] }
        return allMembers.map { ($0.memberID, $0.groupInstanceID, $0.metadata(for: protocolName) ?? ByteBuffer()) }
    }

    func joinOutcome(for memberID: String, withMembers: Bool) -> JoinOutcome {
        var outcome = JoinOutcome(error: .none, memberID: memberID)
        outcome.generationID = generationID
        outcome.protocolName = protocolName
        outcome.leader = leaderID ?? ""
        if withMembers { outcome.members = joinMembers }
        return outcome
    }
}
