import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Consumer groups (the classic protocol) and their committed offsets, transactional ones included, as Kafka 3.x's
/// group coordinator keeps them: groups move Empty → PreparingRebalance → CompletingRebalance → Stable, members are
/// timed out by their session and rebalance timeouts on event-loop timers, and every operation runs under one lock.
public final class GroupCoordinator: @unchecked Sendable {
    let logger: Logger
    weak var cluster: Cluster?

    let lock = NIOLock()
    private var groups: [String: ClassicGroup] = [:]
    private var offsets = GroupOffsetStore()
    /// The latest epoch each producer committed transactional offsets with: older epochs are fenced.
    private var producerEpochs: [Int64: Int16] = [:]
    /// Where timers run: the event loop of the latest request (all brokers share one loop group).
    private var loop: (any EventLoop)?

    /// Kafka's group.initial.rebalance.delay.ms. Kafka's default is 3 s, to gather the members of a group that
    /// starts all at once into one generation; 0 here (as in Kafka's own test setups) so that a dev run or a test
    /// does not wait 3 s for its first assignment, at the cost of a rebalance per late-comer.
    public var initialRebalanceDelayMs: Int32 {
        get { lock.withLock { initialDelay } }
        set { lock.withLock { initialDelay = newValue } }
    }
    private var initialDelay: Int32 = 0
    /// Kafka's group.min.session.timeout.ms and group.max.session.timeout.ms (its defaults).
    public var sessionTimeoutRange: ClosedRange<Int32> {
        get { lock.withLock { sessionRange } }
        set { lock.withLock { sessionRange = newValue } }
    }
    private var sessionRange: ClosedRange<Int32> = 6000...1_800_000
    /// Kafka's group.new.member.join.timeout.ms: how long a new member's parked JoinGroup keeps it.
    let newMemberJoinTimeoutMs: Int32 = 300_000
    /// Kafka's offset.metadata.max.bytes.
    let maxMetadataBytes = 4096

    init(logger: Logger) { self.logger = logger }

    // MARK: JoinGroup

    struct JoinRequest {
        var groupID: String
        var sessionTimeoutMs: Int32
        var rebalanceTimeoutMs: Int32
        var memberID: String
        var groupInstanceID: String?
        var protocolType: String
        var protocols: [(name: String, metadata: ByteBuffer)]
        var clientID: String
        var clientHost: String
        /// JoinGroup v4+ (KIP-394): a new member is first given its id with MEMBER_ID_REQUIRED.
        var requireKnownMemberID: Bool
    }

    enum Reply<Value: Sendable> {
        case now(Value)
        case wait(GroupWait<Value>)
    }

    func join(_ request: JoinRequest, on eventLoop: any EventLoop) -> Reply<JoinOutcome> {
        lock.withLock {
            loop = eventLoop
            guard !request.groupID.isEmpty else { return .now(JoinOutcome(error: .invalidGroupId, memberID: request.memberID)) }
            guard sessionRange.contains(request.sessionTimeoutMs) else {
                return .now(JoinOutcome(error: .invalidSessionTimeout, memberID: request.memberID))
            }
            let isNewMember = request.memberID.isEmpty
            let group: ClassicGroup
            if let existing = groups[request.groupID] {
                group = existing
            } else {
                guard isNewMember else { return .now(JoinOutcome(error: .unknownMemberId, memberID: request.memberID)) }
                group = ClassicGroup(groupID: request.groupID)
                groups[request.groupID] = group
            }
            return isNewMember ? joinNewMember(request, group) : joinExistingMember(request, group)
        }
    }

    private func joinNewMember(_ request: JoinRequest, _ group: ClassicGroup) -> Reply<JoinOutcome> {
        if group.state == .dead { return .now(JoinOutcome(error: .coordinatorNotAvailable)) }
        guard group.supports(protocolType: request.protocolType, protocols: request.protocols.map(\.name)) else {
            return .now(JoinOutcome(error: .inconsistentGroupProtocol))
        }
        let newID = (request.groupInstanceID ?? request.clientID) + "-" + Self.randomID()
        if let instance = request.groupInstanceID {
            // Static membership, minimally: a known instance id joining anew replaces its old member, which is
            // fenced, and the group rebalances (Kafka swaps the id in place, without a rebalance when nothing changed).
            if let old = group.staticMemberID(instance), let member = group.members[old] {
                logger.info(
                    "static member replaced",
                    metadata: ["group": "\(group.groupID)", "instance": "\(instance)", "old": "\(old)", "new": "\(newID)"])
                member.completeJoin(JoinOutcome(error: .fencedInstanceId, memberID: old))
                member.completeSync(SyncOutcome(error: .fencedInstanceId))
                group.remove(old)
            }
            return addMemberThenRebalanceOrCompleteJoin(request, group, memberID: newID)
        }
        if request.requireKnownMemberID {
            var slot = GroupTimerSlot()
            slot.token = 1
            group.pendingMembers[newID] = slot
            schedulePendingMemberExpiry(group, newID, afterMs: request.sessionTimeoutMs)
            logger.debug("member id required", metadata: ["group": "\(group.groupID)", "member": "\(newID)"])
            return .now(JoinOutcome(error: .memberIdRequired, memberID: newID))
        }
        return addMemberThenRebalanceOrCompleteJoin(request, group, memberID: newID)
    }

    private func joinExistingMember(_ request: JoinRequest, _ group: ClassicGroup) -> Reply<JoinOutcome> {
        let memberID = request.memberID
        if group.state == .dead { return .now(JoinOutcome(error: .coordinatorNotAvailable, memberID: memberID)) }
        guard group.supports(protocolType: request.protocolType, protocols: request.protocols.map(\.name)) else {
            return .now(JoinOutcome(error: .inconsistentGroupProtocol, memberID: memberID))
        }
        if group.pendingMembers[memberID] != nil {
            return addMemberThenRebalanceOrCompleteJoin(request, group, memberID: memberID)
        }
        if let error = group.validateMember(memberID, instanceID: request.groupInstanceID) {
            return .now(JoinOutcome(error: error, memberID: memberID))
        }
        let member = group.members[memberID]!
        switch group.state {
        case .preparingRebalance:
            return updateMemberThenRebalanceOrCompleteJoin(request, group, member)
        case .completingRebalance:
            if member.matches(request.protocols) {
                // A retry of a JoinGroup whose answer was lost: the current generation again.
                return .now(group.joinOutcome(for: memberID, withMembers: group.leaderID == memberID))
            }
            return updateMemberThenRebalanceOrCompleteJoin(request, group, member)
        case .stable:
            if group.leaderID == memberID || !member.matches(request.protocols) {
                return updateMemberThenRebalanceOrCompleteJoin(request, group, member)
            }
            return .now(group.joinOutcome(for: memberID, withMembers: false))
        case .empty, .dead:
            return .now(JoinOutcome(error: .unknownMemberId, memberID: memberID))
        }
    }

    private func addMemberThenRebalanceOrCompleteJoin(
        _ request: JoinRequest, _ group: ClassicGroup, memberID: String
    ) -> Reply<JoinOutcome> {
        let member = GroupMember(
            memberID: memberID, groupInstanceID: request.groupInstanceID, clientID: request.clientID,
            clientHost: request.clientHost, rebalanceTimeoutMs: request.rebalanceTimeoutMs,
            sessionTimeoutMs: request.sessionTimeoutMs, protocolType: request.protocolType, protocols: request.protocols)
        member.isNew = true
        let wait = GroupWait<JoinOutcome>()
        member.joinWaits = [wait]
        if group.state == .preparingRebalance && group.previousState == .empty { group.newMemberAdded = true }
        group.add(member)
        // A parked JoinGroup cannot heartbeat, and a closed connection goes unnoticed: a new member is dropped if
        // its join phase has not completed within this time.
        scheduleHeartbeatExpiry(group, member, afterMs: newMemberJoinTimeoutMs)
        logger.info(
            "member joined", metadata: ["group": "\(group.groupID)", "member": "\(memberID)", "state": "\(group.state)"])
        maybePrepareRebalanceOrCompleteJoin(group, reason: "adding member \(memberID)")
        return .wait(wait)
    }

    private func updateMemberThenRebalanceOrCompleteJoin(
        _ request: JoinRequest, _ group: ClassicGroup, _ member: GroupMember
    ) -> Reply<JoinOutcome> {
        member.protocols = request.protocols
        member.rebalanceTimeoutMs = request.rebalanceTimeoutMs
        member.sessionTimeoutMs = request.sessionTimeoutMs
        member.clientID = request.clientID
        member.clientHost = request.clientHost
        let wait = GroupWait<JoinOutcome>()
        member.joinWaits.append(wait)
        maybePrepareRebalanceOrCompleteJoin(group, reason: "member \(member.memberID) rejoining")
        return .wait(wait)
    }

    private func maybePrepareRebalanceOrCompleteJoin(_ group: ClassicGroup, reason: String) {
        if group.canRebalance {
            prepareRebalance(group, reason: reason)
        } else {
            maybeCompleteJoinPhase(group)
        }
    }

    private func maybeCompleteJoinPhase(_ group: ClassicGroup) {
        // The initial rebalance completes only when its delay is over.
        guard group.state == .preparingRebalance, group.previousState != .empty, group.hasAllMembersJoined else {
            return
        }
        completeJoin(group)
    }

    private func prepareRebalance(_ group: ClassicGroup, reason: String) {
        if group.state == .completingRebalance {
            // Members waiting for their assignment are told to rejoin.
            for member in group.allMembers {
                member.assignment = ByteBuffer()
                if member.completeSync(SyncOutcome(error: .rebalanceInProgress)) { scheduleHeartbeatExpiry(group, member) }
            }
        }
        group.pendingSync.removeAll()
        group.syncTimer.cancel()
        let initial = group.state == .empty
        group.transition(to: .preparingRebalance)
        logger.info(
            "preparing to rebalance",
            metadata: ["group": "\(group.groupID)", "generation": "\(group.generationID)", "reason": "\(reason)"])
        if initial {
            let delay = initialDelay
            let remaining = max(group.rebalanceTimeoutMs - delay, 0)
            scheduleJoinTimer(group, afterMs: delay) { me, g in me.tryCompleteInitialRebalance(g, delay: delay, remaining: remaining) }
        } else if group.hasAllMembersJoined {
            completeJoin(group)
        } else {
            scheduleJoinTimer(group, afterMs: group.rebalanceTimeoutMs) { me, g in me.completeJoin(g) }
        }
    }

    private func tryCompleteInitialRebalance(_ group: ClassicGroup, delay: Int32, remaining: Int32) {
        guard group.state == .preparingRebalance else { return }
        if group.newMemberAdded && remaining != 0 {
            group.newMemberAdded = false
            let next = min(initialDelay, remaining)
            let left = max(remaining - delay, 0)
            scheduleJoinTimer(group, afterMs: next) { me, g in me.tryCompleteInitialRebalance(g, delay: next, remaining: left) }
        } else {
            completeJoin(group)
        }
    }

    /// Ends the join phase: members that did not rejoin are removed, the next generation starts, and every parked
    /// JoinGroup is answered (the leader's with the members' metadata).
    private func completeJoin(_ group: ClassicGroup) {
        group.joinTimer.cancel()
        guard group.state == .preparingRebalance else { return }
        let failed = group.allMembers.filter { !$0.isAwaitingJoin && $0.groupInstanceID == nil }
        for member in failed { group.remove(member.memberID) }
        if !failed.isEmpty {
            logger.info(
                "removed members that did not rejoin",
                metadata: ["group": "\(group.groupID)", "members": "\(failed.map(\.memberID))"])
        }
        if !group.isEmpty && !group.maybeElectNewJoinedLeader() {
            // Nobody rejoined (only static members are left): wait another rebalance timeout.
            scheduleJoinTimer(group, afterMs: group.rebalanceTimeoutMs) { me, g in me.completeJoin(g) }
            return
        }
        group.initNextGeneration()
        if group.state == .empty {
            logger.info("group is empty", metadata: ["group": "\(group.groupID)", "generation": "\(group.generationID)"])
            return
        }
        logger.info(
            "group rebalanced",
            metadata: [
                "group": "\(group.groupID)", "generation": "\(group.generationID)", "members": "\(group.members.count)",
                "protocol": "\(group.protocolName ?? "")", "leader": "\(group.leaderID ?? "")",
            ])
        for member in group.allMembers {
            member.completeJoin(group.joinOutcome(for: member.memberID, withMembers: group.leaderID == member.memberID))
            scheduleHeartbeatExpiry(group, member)
            member.isNew = false
            group.pendingSync.insert(member.memberID)
        }
        let generation = group.generationID
        group.syncTimer.cancel()
        let token = group.syncTimer.token
        let id = group.groupID
        group.syncTimer.scheduled = schedule(afterMs: group.rebalanceTimeoutMs) { me in
            guard let g = me.groups[id], g.syncTimer.token == token else { return }
            me.expirePendingSync(g, generation: generation)
        }
    }

    private func expirePendingSync(_ group: ClassicGroup, generation: Int32) {
        guard generation == group.generationID, group.state == .completingRebalance || group.state == .stable,
            !group.pendingSync.isEmpty
        else { return }
        let late = group.pendingSync
        for id in late {
            group.members[id]?.completeJoin(JoinOutcome(error: .unknownMemberId))
            group.remove(id)
        }
        prepareRebalance(group, reason: "members \(late.sorted()) sent no SyncGroup in time")
    }

    // MARK: SyncGroup, Heartbeat, LeaveGroup

    func sync(
        groupID: String, generationID: Int32, memberID: String, groupInstanceID: String?,
        assignments: [String: ByteBuffer], on eventLoop: any EventLoop
    ) -> Reply<SyncOutcome> {
        lock.withLock {
            loop = eventLoop
            guard !groupID.isEmpty else { return .now(SyncOutcome(error: .invalidGroupId)) }
            guard let group = groups[groupID] else { return .now(SyncOutcome(error: .unknownMemberId)) }
            if group.state == .dead { return .now(SyncOutcome(error: .coordinatorNotAvailable)) }
            if let error = group.validateMember(memberID, instanceID: groupInstanceID) { return .now(SyncOutcome(error: error)) }
            guard generationID == group.generationID else { return .now(SyncOutcome(error: .illegalGeneration)) }
            let member = group.members[memberID]!
            switch group.state {
            case .preparingRebalance:
                return .now(SyncOutcome(error: .rebalanceInProgress))
            case .completingRebalance:
                let wait = GroupWait<SyncOutcome>()
                member.syncWaits.append(wait)
                removePendingSync(group, memberID)
                if group.leaderID == memberID {
                    logger.info(
                        "assignment received from the leader",
                        metadata: ["group": "\(groupID)", "generation": "\(generationID)", "leader": "\(memberID)"])
                    for m in group.allMembers {
                        m.assignment = assignments[m.memberID] ?? ByteBuffer()
                    }
                    group.transition(to: .stable)
                    for m in group.allMembers where m.completeSync(SyncOutcome(error: .none, assignment: m.assignment)) {
                        scheduleHeartbeatExpiry(group, m)
                    }
                }
                return .wait(wait)
            case .stable:
                // A member's SyncGroup after the leader's is answered at once and, as in Kafka, renews its session.
                removePendingSync(group, memberID)
                scheduleHeartbeatExpiry(group, member)
                return .now(SyncOutcome(error: .none, assignment: member.assignment))
            case .empty, .dead:
                return .now(SyncOutcome(error: .unknownMemberId))
            }
        }
    }

    private func removePendingSync(_ group: ClassicGroup, _ memberID: String) {
        group.pendingSync.remove(memberID)
        if group.pendingSync.isEmpty { group.syncTimer.cancel() }
    }

    func heartbeat(groupID: String, generationID: Int32, memberID: String, groupInstanceID: String?, on eventLoop: any EventLoop)
        -> ErrorCode
    {
        lock.withLock {
            loop = eventLoop
            guard !groupID.isEmpty else { return .invalidGroupId }
            guard let group = groups[groupID] else { return .unknownMemberId }
            if group.state == .dead { return .coordinatorNotAvailable }
            if let error = group.validateMember(memberID, instanceID: groupInstanceID) { return error }
            guard generationID == group.generationID else { return .illegalGeneration }
            let member = group.members[memberID]!
            switch group.state {
            case .empty, .dead:
                return .unknownMemberId
            case .preparingRebalance:
                scheduleHeartbeatExpiry(group, member)
                return .rebalanceInProgress
            case .completingRebalance, .stable:
                scheduleHeartbeatExpiry(group, member)
                return .none
            }
        }
    }

    func leave(groupID: String, memberID: String, on eventLoop: any EventLoop) -> ErrorCode {
        lock.withLock {
            loop = eventLoop
            guard !groupID.isEmpty else { return .invalidGroupId }
            guard let group = groups[groupID] else { return .unknownMemberId }
            if group.state == .dead { return .coordinatorNotAvailable }
            if group.pendingMembers[memberID] != nil {
                group.remove(memberID)
                if group.state == .preparingRebalance { maybeCompleteJoinPhase(group) }
                return .none
            }
            guard let member = group.members[memberID] else { return .unknownMemberId }
            logger.info("member left", metadata: ["group": "\(groupID)", "member": "\(memberID)"])
            removeMemberAndUpdateGroup(group, member, reason: "member \(memberID) left")
            return .none
        }
    }

    private func removeMemberAndUpdateGroup(_ group: ClassicGroup, _ member: GroupMember, reason: String) {
        member.completeJoin(JoinOutcome(error: .unknownMemberId))
        member.completeSync(SyncOutcome(error: .unknownMemberId))
        group.remove(member.memberID)
        switch group.state {
        case .stable, .completingRebalance:
            maybePrepareRebalanceOrCompleteJoin(group, reason: reason)
        case .preparingRebalance:
            if group.hasAllMembersJoined { completeJoin(group) }
        case .empty, .dead:
            break
        }
    }

    // MARK: Timers

    /// Runs `action` under the lock after `ms` milliseconds, on the latest request's event loop.
    private func schedule(afterMs ms: Int32, _ action: @escaping @Sendable (GroupCoordinator) -> Void) -> Scheduled<Void>? {
        guard let loop else { return nil }
        return loop.scheduleTask(in: .milliseconds(Int64(max(ms, 0)))) { [weak self] in
            guard let self else { return }
            self.lock.withLock { action(self) }
        }
    }

    private func scheduleJoinTimer(
        _ group: ClassicGroup, afterMs ms: Int32, _ action: @escaping @Sendable (GroupCoordinator, ClassicGroup) -> Void
    ) {
        group.joinTimer.cancel()
        let token = group.joinTimer.token
        let id = group.groupID
        group.joinTimer.scheduled = schedule(afterMs: ms) { me in
            guard let g = me.groups[id], g.joinTimer.token == token else { return }
            action(me, g)
        }
    }

    /// (Re)starts a member's session: if nothing renews it within `ms` (its session timeout by default), the member
    /// is removed, unless it is parked in a rebalance (Kafka's hasSatisfiedHeartbeat).
    private func scheduleHeartbeatExpiry(_ group: ClassicGroup, _ member: GroupMember, afterMs ms: Int32? = nil) {
        member.heartbeat.cancel()
        let token = member.heartbeat.token
        let groupID = group.groupID
        let memberID = member.memberID
        member.heartbeat.scheduled = schedule(afterMs: ms ?? member.sessionTimeoutMs) { me in
            guard let g = me.groups[groupID], let m = g.members[memberID], m.heartbeat.token == token else { return }
            guard g.state != .dead, !m.hasSatisfiedHeartbeat else { return }
            me.logger.info(
                "member session expired",
                metadata: ["group": "\(groupID)", "member": "\(memberID)", "session.timeout.ms": "\(m.sessionTimeoutMs)"])
            me.removeMemberAndUpdateGroup(g, m, reason: "session of \(memberID) expired")
        }
    }

    private func schedulePendingMemberExpiry(_ group: ClassicGroup, _ memberID: String, afterMs ms: Int32) {
        let groupID = group.groupID
        let token = group.pendingMembers[memberID]?.token ?? 0
        group.pendingMembers[memberID]?.scheduled = schedule(afterMs: ms) { me in
            guard let g = me.groups[groupID], g.pendingMembers[memberID]?.token == token else { return }
            me.logger.info("pending member expired", metadata: ["group": "\(groupID)", "member": "\(memberID)"])
            g.remove(memberID)
            if g.state == .preparingRebalance && g.hasAllMembersJoined { me.completeJoin(g) }
        }
    }

    static func randomID() -> String {
        let hex = Array("0123456789abcdef")
        var s = ""
        for i in 0..<32 {
            if i == 8 || i == 12 || i == 16 || i == 20 { s.append("-") }
            s.append(hex[Int.random(in: 0..<16)])
        }
        return s
    }

    // MARK: Offsets

    struct OffsetEntry {
        var topic: String
        var partition: Int32
        var offset: Int64
        var leaderEpoch: Int32 = -1
        var metadata: String?
    }

    /// Kafka's validateOffsetCommit for a group (nil when the commit may proceed); `group` is created as a simple
    /// group when it does not exist and the commit carries no generation.
    private func validateCommit(
        groupID: String, generationID: Int32, memberID: String, groupInstanceID: String?, transactional: Bool
    ) -> ErrorCode? {
        let group: ClassicGroup
        if let existing = groups[groupID] {
            group = existing
        } else {
            guard generationID < 0 else { return .illegalGeneration }
            group = ClassicGroup(groupID: groupID)
            groups[groupID] = group
        }
        if group.state == .dead { return .coordinatorNotAvailable }
        if generationID < 0 && group.state == .empty { return nil }
        if generationID >= 0 || !memberID.isEmpty || groupInstanceID != nil {
            if let error = group.validateMember(memberID, instanceID: groupInstanceID) { return error }
            if generationID != group.generationID { return .illegalGeneration }
        } else if !transactional && group.state != .empty {
            // A commit without membership is for groups nobody is a member of.
            return .unknownMemberId
        }
        if !transactional && group.state == .completingRebalance { return .rebalanceInProgress }
        return nil
    }

    /// OffsetCommit: one error for every partition, or an error per partition.
    func commitOffsets(
        groupID: String, generationID: Int32, memberID: String, groupInstanceID: String?, entries: [OffsetEntry]
    ) -> [ErrorCode] {
        lock.withLock {
            let existed = groups[groupID] != nil
            if let error = validateCommit(
                groupID: groupID, generationID: generationID, memberID: memberID, groupInstanceID: groupInstanceID,
                transactional: false)
            {
                return Array(repeating: error, count: entries.count)
            }
            let now = Clock.milliseconds()
            let errors = entries.map { e -> ErrorCode in
                if let error = checkEntry(e) { return error }
                offsets.commit(
                    group: groupID, .init(topic: e.topic, partition: e.partition),
                    .init(
                        offset: e.offset, leaderEpoch: e.leaderEpoch, metadata: e.metadata ?? "", commitTimestamp: now,
                        sequence: offsets.sequence()))
                return .none
            }
            // A simple group exists once it has an offset, as Kafka creates it with its first offset record.
            if !existed && !errors.contains(.none) { groups[groupID] = nil }
            return errors
        }
    }

    /// TxnOffsetCommit: stages the offsets under the producer id until its transaction ends.
    func commitTransactionalOffsets(
        groupID: String, producerID: Int64, producerEpoch: Int16, generationID: Int32, memberID: String,
        groupInstanceID: String?, entries: [OffsetEntry]
    ) -> [ErrorCode] {
        lock.withLock {
            var error = validateCommit(
                groupID: groupID, generationID: generationID, memberID: memberID, groupInstanceID: groupInstanceID,
                transactional: true)
            if error == nil, let latest = producerEpochs[producerID], producerEpoch < latest { error = .invalidProducerEpoch }
            if let error { return Array(repeating: error, count: entries.count) }
            producerEpochs[producerID] = producerEpoch
            let now = Clock.milliseconds()
            return entries.map { e in
                if let error = checkEntry(e) { return error }
                offsets.stage(
                    producerID: producerID, group: groupID, .init(topic: e.topic, partition: e.partition),
                    .init(
                        offset: e.offset, leaderEpoch: e.leaderEpoch, metadata: e.metadata ?? "", commitTimestamp: now,
                        sequence: offsets.sequence()))
                return .none
            }
        }
    }

    /// OFFSET_METADATA_TOO_LARGE, which ErrorCode does not name.
    static let offsetMetadataTooLarge: Int16 = 12

    private func checkEntry(_ e: OffsetEntry) -> ErrorCode? {
        if (e.metadata?.utf8.count ?? 0) > maxMetadataBytes { return ErrorCode(rawValue: Self.offsetMetadataTooLarge) }
        let known = cluster?.withPartition(e.topic, e.partition) { _ in true } ?? false
        return known ? nil : .unknownTopicOrPartition
    }

    struct FetchedOffset {
        var partition: Int32
        var offset: Int64 = -1
        var leaderEpoch: Int32 = -1
        var metadata: String = ""
        var error: ErrorCode = .none
    }

    /// OffsetFetch: the committed offsets of these partitions (every committed one when `topics` is nil); with
    /// `requireStable`, partitions a transaction holds pending offsets for are UNSTABLE_OFFSET_COMMIT.
    func fetchOffsets(groupID: String, topics: [(String, [Int32])]?, requireStable: Bool) -> [(String, [FetchedOffset])] {
        lock.withLock {
            let dead = groups[groupID]?.state == .dead
            let committed = dead ? [:] : offsets.committed[groupID] ?? [:]
            func answer(_ key: GroupOffsetStore.Key) -> FetchedOffset {
                var f = FetchedOffset(partition: key.partition)
                if requireStable && offsets.hasPending(group: groupID, key) {
                    f.error = .unstableOffsetCommit
                } else if let c = committed[key] {
                    f.offset = c.offset
                    f.leaderEpoch = c.leaderEpoch
                    f.metadata = c.metadata
                }
                return f
            }
            if let topics {
                return topics.map { topic, partitions in
                    (topic, partitions.map { answer(.init(topic: topic, partition: $0)) })
                }
            }
            let byTopic = Dictionary(grouping: committed.keys, by: \.topic)
            return byTopic.keys.sorted().map { topic in
                (topic, byTopic[topic]!.sorted { $0.partition < $1.partition }.map(answer))
            }
        }
    }

    /// Makes a producer's pending transactional offsets durable (commit) or drops them (abort); called by the
    /// transaction coordinator when it writes the markers of `producerID`'s transaction.
    func completeTransaction(producerID: Int64, commit: Bool) {
        let groupsTouched = lock.withLock { offsets.complete(producerID: producerID, commit: commit) }
        if !groupsTouched.isEmpty {
            logger.debug(
                "transactional offsets completed",
                metadata: ["producer": "\(producerID)", "commit": "\(commit)", "groups": "\(groupsTouched)"])
        }
    }

    /// Every committed offset, for persistence (pending transactional offsets are not included).
    public func committedOffsetsSnapshot() -> [GroupOffsetSnapshot] { lock.withLock { offsets.snapshot } }

    /// Replaces the committed offsets with `records`; each group named gets an Empty group if it has none, as
    /// Kafka loads groups from __consumer_offsets.
    public func restoreCommittedOffsets(_ records: [GroupOffsetSnapshot]) {
        lock.withLock {
            offsets.restore(records)
            for r in records where groups[r.group] == nil { groups[r.group] = ClassicGroup(groupID: r.group) }
        }
    }

    // MARK: DescribeGroups, ListGroups

    struct Description {
        var groupID: String
        var state: String
        var protocolType: String
        var protocolName: String
        var members: [(memberID: String, clientID: String, clientHost: String, metadata: ByteBuffer, assignment: ByteBuffer)]
    }

    /// What DescribeGroups says of a group: Dead for one that does not exist; members' metadata and assignments only
    /// while Stable, as Kafka.
    func describe(_ groupID: String) -> Description {
        lock.withLock {
            guard let g = groups[groupID] else {
                return Description(groupID: groupID, state: "Dead", protocolType: "", protocolName: "", members: [])
            }
            let stable = g.state == .stable
            let protocolName = stable ? g.protocolName ?? "" : ""
            return Description(
                groupID: groupID, state: g.state.rawValue, protocolType: g.protocolType ?? "", protocolName: protocolName,
                members: g.allMembers.map {
                    (
                        $0.memberID, $0.clientID, $0.clientHost,
                        stable ? $0.metadata(for: protocolName) ?? ByteBuffer() : ByteBuffer(),
                        stable ? $0.assignment : ByteBuffer()
                    )
                })
        }
    }

    /// Every group (except Dead ones) whose id `include` accepts, with its protocol type.
    func list(_ include: (String) -> Bool) -> [(groupID: String, protocolType: String)] {
        let all = lock.withLock { groups.values.filter { $0.state != .dead }.map { ($0.groupID, $0.protocolType ?? "") } }
        return all.filter { include($0.0) }.sorted { $0.0 < $1.0 }
    }
}
