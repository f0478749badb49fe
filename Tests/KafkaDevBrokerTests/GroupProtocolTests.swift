import Foundation
import NIOCore
import Testing

@testable import KafkaDevBroker

#if canImport(Glibc)
import Glibc
#endif

/// The group protocol at the byte level, for what no client exposes: MEMBER_ID_REQUIRED (KIP-394), stale
/// generations, sessions that run out, protocol selection, the coordinator check and transactional offsets.
/// Expected answers are those of Kafka's protocol guide and its ClassicGroup/OffsetMetadataManager.
@Suite struct GroupProtocolTests {
    static let memberIDRequired: Int16 = 79
    static let illegalGeneration: Int16 = 22
    static let unknownMemberID: Int16 = 25
    static let rebalanceInProgress: Int16 = 27
    static let inconsistentProtocol: Int16 = 23
    static let notCoordinator: Int16 = 16
    static let unstableOffsetCommit: Int16 = 88

    @Test func aNewMemberFirstGetsItsIdWithMemberIDRequired() async throws {
        try await withDevBrokerOffThePool(topics: ["t": 1]) { broker in
            let wire = try GroupWire(coordinatorOf: "kip394", in: broker)
            let first = try await wire.join("kip394", memberID: "")
            #expect(first.error == Self.memberIDRequired)
            #expect(!first.memberID.isEmpty)
            #expect(first.generation == -1)

            let joined = try await wire.join("kip394", memberID: first.memberID, metadata: [1, 2, 3])
            #expect(joined.error == 0)
            #expect(joined.memberID == first.memberID)
            #expect(joined.generation == 1)
            #expect(joined.leader == first.memberID)
            #expect(joined.protocolName == "range")
            #expect(joined.members.map(\.0) == [first.memberID])
            #expect(joined.members.first?.1 == [1, 2, 3], "the leader gets each member's metadata")

            let sync = try await wire.sync("kip394", generation: 1, memberID: joined.memberID, assignments: [joined.memberID: [9, 9]])
            #expect(sync.error == 0)
            #expect(sync.assignment == [9, 9])
            #expect(try await wire.heartbeat("kip394", generation: 1, memberID: joined.memberID) == 0)

            // JoinGroup v3 predates KIP-394: the member is admitted with its new id at once.
            let old = try GroupWire(coordinatorOf: "v3group", in: broker)
            let v3 = try await old.join("v3group", memberID: "", version: 3)
            #expect(v3.error == 0)
            #expect(v3.generation == 1)
            #expect(!v3.memberID.isEmpty)
        }
    }

    @Test func aCommitFromAStaleGenerationIsRefused() async throws {
        try await withDevBrokerOffThePool(topics: ["t": 2]) { broker in
            let a = try GroupWire(coordinatorOf: "stale", in: broker)
            let b = try GroupWire(coordinatorOf: "stale", in: broker)
            let memberA = try await a.joinFully("stale")
            #expect(memberA.generation == 1)
            _ = try await a.sync("stale", generation: 1, memberID: memberA.memberID, assignments: [:])
            #expect(try await a.commit("stale", generation: 1, memberID: memberA.memberID, partition: 0, offset: 10) == 0)

            // B joins: the group rebalances, and A learns it from its heartbeat.
            let bID = try await b.join("stale", memberID: "").memberID
            async let bJoined = b.join("stale", memberID: bID)
            try await eventually { try await a.heartbeat("stale", generation: 1, memberID: memberA.memberID) == Self.rebalanceInProgress }
            let aAgain = try await a.join("stale", memberID: memberA.memberID)
            let bResult = try await bJoined
            #expect(aAgain.generation == 2)
            #expect(bResult.generation == 2)
            #expect(aAgain.leader == memberA.memberID)
            #expect(Set(aAgain.members.map(\.0)) == [memberA.memberID, bID])
            #expect(bResult.members.isEmpty, "only the leader gets the member list")

            // Until the leader's SyncGroup, a commit of the current generation is told a rebalance is on.
            #expect(try await a.commit("stale", generation: 2, memberID: memberA.memberID, partition: 0, offset: 11) == Self.rebalanceInProgress)
            async let bSync = b.sync("stale", generation: 2, memberID: bID, assignments: [:])
            let aSync = try await a.sync("stale", generation: 2, memberID: memberA.memberID, assignments: [memberA.memberID: [1], bID: [2]])
            #expect(aSync.assignment == [1])
            #expect(try await bSync.assignment == [2])

            #expect(try await a.commit("stale", generation: 1, memberID: memberA.memberID, partition: 0, offset: 12) == Self.illegalGeneration)
            #expect(try await a.commit("stale", generation: 2, memberID: "nobody", partition: 0, offset: 12) == Self.unknownMemberID)
            #expect(try await a.commit("stale", generation: -1, memberID: "", partition: 0, offset: 12) == Self.unknownMemberID,
                "a commit without membership is refused while the group has members")
            #expect(try await a.heartbeat("stale", generation: 1, memberID: memberA.memberID) == Self.illegalGeneration)
            #expect(try await b.commit("stale", generation: 2, memberID: bID, partition: 1, offset: 20) == 0)

            let fetched = try await a.fetch("stale", partitions: [0, 1])
            #expect(fetched.partitions.map(\.offset) == [10, 20], "the refused commits changed nothing")
        }
    }

    @Test func aMemberWhoseSessionRunsOutIsRemoved() async throws {
        try await withDevBrokerOffThePool(topics: ["t": 1]) { broker in
            let a = try GroupWire(coordinatorOf: "session", in: broker)
            let b = try GroupWire(coordinatorOf: "session", in: broker)
            let memberA = try await a.joinFully("session", session: 6000)
            let bID = try await b.join("session", memberID: "", session: 6000).memberID
            async let bJoined = b.join("session", memberID: bID, session: 6000)
            try await eventually { try await a.heartbeat("session", generation: 1, memberID: memberA.memberID) == Self.rebalanceInProgress }
            _ = try await a.join("session", memberID: memberA.memberID, session: 6000)
            let generation = try await bJoined.generation
            // B's SyncGroup is its last request: the broker receives it after this instant, and its session runs
            // from then (or from the leader's SyncGroup, if B's is parked until it comes).
            let bLastRequest = Date()
            async let bSync = b.sync("session", generation: generation, memberID: bID, assignments: [:])
            _ = try await a.sync("session", generation: generation, memberID: memberA.memberID, assignments: [:])
            _ = try await bSync

            // B goes silent; A keeps heartbeating and is told to rejoin once B's 6 s session ran out.
            var answer: Int16 = 0
            while answer == 0 && Date().timeIntervalSince(bLastRequest) < 30 {
                try await Task.sleep(for: .milliseconds(500))
                answer = try await a.heartbeat("session", generation: generation, memberID: memberA.memberID)
            }
            // Never before 6 s since B's last request (the small margin is for the wall clock); how soon after is up
            // to the broker's timers and the machine's load, which Kafka promises nothing about.
            let waited = Date().timeIntervalSince(bLastRequest)
            #expect(answer == Self.rebalanceInProgress)
            #expect(waited >= 5.95 && waited < 30, "removed after its session timeout, not before (\(waited) s)")
            let alone = try await a.join("session", memberID: memberA.memberID, session: 6000)
            #expect(alone.generation == generation + 1)
            #expect(alone.members.map(\.0) == [memberA.memberID])
            #expect(try await b.heartbeat("session", generation: generation, memberID: bID) == Self.unknownMemberID)
        }
    }

    @Test func theProtocolIsOneEveryMemberSupportsWithTheMostVotes() async throws {
        try await withDevBrokerOffThePool(topics: ["t": 1]) { broker in
            let wires = try (0..<4).map { _ in try GroupWire(coordinatorOf: "votes", in: broker) }
            let a = try await wires[0].joinFully("votes", protocols: ["x", "y", "z"])
            _ = try await wires[0].sync("votes", generation: a.generation, memberID: a.memberID, assignments: [:])
            // A member sharing no protocol with the group is refused.
            let stranger = try await wires[3].join("votes", memberID: "", protocols: ["w"])
            #expect(stranger.error == Self.inconsistentProtocol)

            let bID = try await wires[1].join("votes", memberID: "", protocols: ["y", "x"]).memberID
            let cID = try await wires[2].join("votes", memberID: "", protocols: ["y", "z", "x"]).memberID
            async let b = wires[1].join("votes", memberID: bID, protocols: ["y", "x"])
            async let c = wires[2].join("votes", memberID: cID, protocols: ["y", "z", "x"])
            try await eventually { try await wires[0].heartbeat("votes", generation: a.generation, memberID: a.memberID) == Self.rebalanceInProgress }
            let aAgain = try await wires[0].join("votes", memberID: a.memberID, protocols: ["x", "y", "z"])
            let (bResult, cResult) = try await (b, c)
            // Candidates are x and y (z is not B's); A votes x, B and C vote y.
            #expect(aAgain.protocolName == "y")
            #expect(bResult.protocolName == "y")
            #expect(cResult.protocolName == "y")
            #expect(aAgain.members.first(where: { $0.0 == bID })?.1 == [0x79], "the leader gets y's metadata")
        }
    }

    @Test func anotherBrokerIsNotTheCoordinator() async throws {
        try await withDevBrokerOffThePool(brokers: 3, topics: ["t": 1]) { broker in
            let coordinator = try #require(broker.cluster.coordinator(for: "elsewhere"))
            let other = try #require(broker.cluster.brokers.first { $0.id != coordinator.id })
            let wire = try GroupWire(port: other.port)
            #expect(try await wire.join("elsewhere", memberID: "").error == Self.notCoordinator)
            #expect(try await wire.commit("elsewhere", generation: -1, memberID: "", partition: 0, offset: 1) == Self.notCoordinator)
            #expect(try await wire.fetch("elsewhere", partitions: [0]).error == Self.notCoordinator)
            let right = try GroupWire(port: coordinator.port)
            #expect(try await right.commit("elsewhere", generation: -1, memberID: "", partition: 0, offset: 1) == 0)
        }
    }

    @Test func transactionalOffsetsAreInvisibleUntilTheirTransactionCommits() async throws {
        try await withDevBrokerOffThePool(topics: ["t": 1]) { broker in
            let wire = try GroupWire(coordinatorOf: "txn", in: broker)
            let groups = broker.cluster.groups
            #expect(try await wire.txnCommit("txn", producerID: 7, partition: 0, offset: 5, version: 0) == 0)
            #expect(try await wire.fetch("txn", partitions: [0]).partitions.first?.offset == -1, "pending offsets are not committed")
            let stable = try await wire.fetch("txn", partitions: [0], version: 7, requireStable: true)
            #expect(stable.partitions.first?.error == Self.unstableOffsetCommit)
            groups.completeTransaction(producerID: 7, commit: true)
            #expect(try await wire.fetch("txn", partitions: [0], version: 7, requireStable: true).partitions.first?.offset == 5)

            // An OffsetCommit written after a transaction's TxnOffsetCommit wins when the transaction commits later.
            #expect(try await wire.txnCommit("txn", producerID: 8, partition: 0, offset: 9, version: 3) == 0)
            #expect(try await wire.commit("txn", generation: -1, memberID: "", partition: 0, offset: 7) == 0)
            groups.completeTransaction(producerID: 8, commit: true)
            #expect(try await wire.fetch("txn", partitions: [0]).partitions.first?.offset == 7)

            // An aborted transaction's offsets are dropped.
            #expect(try await wire.txnCommit("txn", producerID: 9, partition: 0, offset: 11, version: 3) == 0)
            groups.completeTransaction(producerID: 9, commit: false)
            let after = try await wire.fetch("txn", partitions: [0], version: 7, requireStable: true)
            #expect(after.partitions.first?.offset == 7)
            #expect(after.partitions.first?.error == 0)

            // v3 (KIP-447) checks the member like OffsetCommit does; v0 carries no member and is not checked.
            let member = try await wire.joinFully("txn-members")
            #expect(try await wire.txnCommit("txn-members", producerID: 10, partition: 0, offset: 1, version: 3,
                generation: member.generation + 1, memberID: member.memberID) == Self.illegalGeneration)
            #expect(try await wire.txnCommit("txn-members", producerID: 10, partition: 0, offset: 1, version: 3,
                generation: member.generation, memberID: "someone-else") == Self.unknownMemberID)
            #expect(try await wire.txnCommit("txn-members", producerID: 10, partition: 0, offset: 1, version: 3,
                generation: member.generation, memberID: member.memberID) == 0)
            #expect(try await wire.txnCommit("txn-members", producerID: 11, partition: 0, offset: 1, version: 0) == 0)

            let snapshot = groups.committedOffsetsSnapshot()
            #expect(snapshot.map(\.offset) == [7] && snapshot.first?.group == "txn")
        }
    }

    /// `withDevBroker`, with the test's body run on a thread of its own instead of Swift's cooperative pool. The
    /// other suites run in parallel in this process, and some block the pool's threads (one per core) for seconds
    /// while kcat or a Python client runs; a body on the pool stalls with them, for longer than the session and
    /// rebalance timeouts these tests depend on (the broker itself answers from its event loops, and is right to
    /// drop a member whose client went quiet that long).
    func withDevBrokerOffThePool(
        brokers: Int = 1, topics: [String: Int] = [:], _ body: (DevBroker) async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(TestThreadExecutor.shared) {
            try await withDevBroker(brokers: brokers, topics: topics, body)
        }
    }

    /// Polls `condition` every 200 ms for up to `seconds`, failing the test if it never holds.
    func eventually(_ seconds: Double = 10, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("condition not met within \(seconds) s")
    }
}

/// A hand-encoding client for the group APIs over a blocking socket; each exchange blocks a thread of its own, so
/// that a parked JoinGroup holds neither a thread of the cooperative pool nor the thread of the test's body.
/// One request at a time: a test's concurrent requests use a wire each.
final class GroupWire: @unchecked Sendable {
    private let fd: Int32
    private var correlation: Int32 = 0

    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    struct Join {
        var error: Int16
        var generation: Int32
        var protocolName: String
        var leader: String
        var memberID: String
        var members: [(String, [UInt8])]
    }

    struct Fetched {
        var error: Int16
        var partitions: [(partition: Int32, offset: Int64, error: Int16)]
    }

    convenience init(coordinatorOf group: String, in broker: DevBroker) throws {
        guard let b = broker.cluster.coordinator(for: group) else { throw Failed(description: "no coordinator") }
        try self.init(port: b.port)
    }

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var tv = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0 else {
            close(fd)
            throw Failed(description: "connect to \(port) failed")
        }
    }

    deinit { close(fd) }

    /// Sends one request (header v1, or v2 when `flexible`) and returns the response body after its header.
    func request(_ api: Int16, _ version: Int16, flexible: Bool = false, _ body: (inout ByteBuffer) -> Void) async throws
        -> ByteBuffer
    {
        correlation += 1
        var frame = ByteBuffer()
        frame.writeInteger(Int32(0))
        frame.writeInteger(api)
        frame.writeInteger(version)
        frame.writeInteger(correlation)
        frame.writeInteger(Int16(9))
        frame.writeString("group-raw")
        if flexible { frame.writeInteger(UInt8(0)) }
        body(&frame)
        frame.setInteger(Int32(frame.readableBytes - 4), at: 0)
        let bytes = Array(frame.readableBytesView)
        let expected = correlation
        let fd = fd
        let payload: [UInt8] = try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try Self.exchange(fd, bytes) }) }
        }
        var response = ByteBuffer(bytes: payload)
        guard response.readInteger(as: Int32.self) == expected else { throw Failed(description: "correlation mismatch") }
        if flexible { _ = response.readInteger(as: UInt8.self) }
        return response
    }

    private static func exchange(_ fd: Int32, _ bytes: [UInt8]) throws -> [UInt8] {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failed(description: "send failed") }
            sent += n
        }
        func read(_ count: Int) throws -> [UInt8] {
            var out = [UInt8](repeating: 0, count: count)
            var got = 0
            while got < count {
                let n = out[got...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard n > 0 else { throw Failed(description: "connection closed or timed out") }
                got += n
            }
            return out
        }
        let size = try read(4).reduce(0) { $0 << 8 | Int($1) }
        return try read(size)
    }

    // MARK: Requests

    func join(
        _ group: String, memberID: String, version: Int16 = 5, session: Int32 = 10_000, rebalance: Int32 = 10_000,
        protocols: [String] = ["range"], metadata: [UInt8]? = nil
    ) async throws -> Join {
        var r = try await request(11, version) { b in
            b.writeKafkaString(group)
            b.writeInteger(session)
            if version >= 1 { b.writeInteger(rebalance) }
            b.writeKafkaString(memberID)
            if version >= 5 { b.writeKafkaString(nil) }
            b.writeKafkaString("consumer")
            b.writeKafkaArray(protocols) { b, name in
                b.writeKafkaString(name)
                b.writeKafkaBytes(ByteBuffer(bytes: metadata ?? Array(name.utf8)))
            }
        }
        if version >= 2 { _ = r.readInteger(as: Int32.self) }
        let error = try r.int16()
        let generation = try r.int32()
        let protocolName = try r.string()
        let leader = try r.string()
        let member = try r.string()
        var members: [(String, [UInt8])] = []
        for _ in 0..<(try r.int32()) {
            let id = try r.string()
            if version >= 5 { _ = try r.string() }
            members.append((id, try r.bytes()))
        }
        return Join(error: error, generation: generation, protocolName: protocolName, leader: leader, memberID: member, members: members)
    }

    /// Joins as a new member: the MEMBER_ID_REQUIRED round and the real join.
    func joinFully(_ group: String, session: Int32 = 10_000, protocols: [String] = ["range"]) async throws -> Join {
        let first = try await join(group, memberID: "", session: session, protocols: protocols)
        guard first.error == GroupProtocolTests.memberIDRequired else { return first }
        return try await join(group, memberID: first.memberID, session: session, protocols: protocols)
    }

    func sync(_ group: String, generation: Int32, memberID: String, assignments: [String: [UInt8]]) async throws
        -> (error: Int16, assignment: [UInt8])
    {
        var r = try await request(14, 3) { b in
            b.writeKafkaString(group)
            b.writeInteger(generation)
            b.writeKafkaString(memberID)
            b.writeKafkaString(nil)
            b.writeKafkaArray(assignments.sorted { $0.key < $1.key }) { b, a in
                b.writeKafkaString(a.key)
                b.writeKafkaBytes(ByteBuffer(bytes: a.value))
            }
        }
        _ = try r.int32()
        return (try r.int16(), try r.bytes())
    }

    func heartbeat(_ group: String, generation: Int32, memberID: String) async throws -> Int16 {
        var r = try await request(12, 3) { b in
            b.writeKafkaString(group)
            b.writeInteger(generation)
            b.writeKafkaString(memberID)
            b.writeKafkaString(nil)
        }
        _ = try r.int32()
        return try r.int16()
    }

    /// OffsetCommit v3 of one partition of topic "t"; its error.
    func commit(_ group: String, generation: Int32, memberID: String, partition: Int32, offset: Int64) async throws -> Int16 {
        var r = try await request(8, 3) { b in
            b.writeKafkaString(group)
            b.writeInteger(generation)
            b.writeKafkaString(memberID)
            b.writeInteger(Int64(-1))
            b.writeInteger(Int32(1))
            b.writeKafkaString("t")
            b.writeInteger(Int32(1))
            b.writeInteger(partition)
            b.writeInteger(offset)
            b.writeKafkaString("meta")
        }
        _ = try r.int32()
        _ = try r.int32()
        _ = try r.string()
        _ = try r.int32()
        _ = try r.int32()
        return try r.int16()
    }

    /// TxnOffsetCommit of one partition of topic "t" (v3 flexible, with the member); its error.
    func txnCommit(
        _ group: String, producerID: Int64, partition: Int32, offset: Int64, version: Int16, generation: Int32 = -1,
        memberID: String = ""
    ) async throws -> Int16 {
        let f = version >= 3
        var r = try await request(28, version, flexible: f) { b in
            b.writeKafkaString("txn-id", flexible: f)
            b.writeKafkaString(group, flexible: f)
            b.writeInteger(producerID)
            b.writeInteger(Int16(0))
            if version >= 3 {
                b.writeInteger(generation)
                b.writeKafkaString(memberID, flexible: f)
                b.writeKafkaString(nil, flexible: f)
            }
            b.writeArrayLength(1, flexible: f)
            b.writeKafkaString("t", flexible: f)
            b.writeArrayLength(1, flexible: f)
            b.writeInteger(partition)
            b.writeInteger(offset)
            if version >= 2 { b.writeInteger(Int32(-1)) }
            b.writeKafkaString(nil, flexible: f)
            b.writeEmptyTaggedFields(flexible: f)
            b.writeEmptyTaggedFields(flexible: f)
            b.writeEmptyTaggedFields(flexible: f)
        }
        var reader = KafkaReader(r.readSlice(length: r.readableBytes)!, flexible: f)
        _ = try reader.int32()
        let topics = try reader.array { r -> [Int16] in
            _ = try r.string()
            let errors = try r.array { r -> Int16 in
                _ = try r.int32()
                let e = try r.int16()
                try r.skipTaggedFields()
                return e
            }
            try r.skipTaggedFields()
            return errors
        }
        return topics.first?.first ?? -100
    }

    /// OffsetFetch of partitions of topic "t" (v3, or v7 flexible with require_stable).
    func fetch(_ group: String, partitions: [Int32], version: Int16 = 3, requireStable: Bool = false) async throws -> Fetched {
        let f = version >= 6
        let r = try await request(9, version, flexible: f) { b in
            b.writeKafkaString(group, flexible: f)
            b.writeArrayLength(1, flexible: f)
            b.writeKafkaString("t", flexible: f)
            b.writeKafkaArray(partitions, flexible: f) { $0.writeInteger($1) }
            b.writeEmptyTaggedFields(flexible: f)
            if version >= 7 { b.writeKafkaBool(requireStable) }
            b.writeEmptyTaggedFields(flexible: f)
        }
        var reader = KafkaReader(r, flexible: f)
        if version >= 3 { _ = try reader.int32() }
        var result = Fetched(error: 0, partitions: [])
        let topics = try reader.array { r -> [(partition: Int32, offset: Int64, error: Int16)] in
            _ = try r.string()
            let parts = try r.array { r -> (partition: Int32, offset: Int64, error: Int16) in
                let p = try r.int32()
                let o = try r.int64()
                if version >= 5 { _ = try r.int32() }
                _ = try r.nullableString()
                let e = try r.int16()
                try r.skipTaggedFields()
                return (p, o, e)
            }
            try r.skipTaggedFields()
            return parts
        }
        result.partitions = topics.flatMap { $0 }
        if version >= 2 { result.error = try reader.int16() }
        return result
    }
}

/// A task executor with one thread of its own, for test bodies that must keep running while the cooperative pool's
/// threads are blocked by other suites (see `withDevBrokerOffThePool`); the bodies only wait and decode.
final class TestThreadExecutor: TaskExecutor, @unchecked Sendable {
    static let shared = TestThreadExecutor()

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    private init() {
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "group-protocol-tests"
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func run() {
        let executor = asUnownedTaskExecutor()
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let batch = jobs
            jobs.removeAll()
            condition.unlock()
            for job in batch { job.runSynchronously(on: executor) }
        }
    }
}

extension ByteBuffer {
    fileprivate mutating func int16() throws -> Int16 {
        guard let v = readInteger(as: Int16.self) else { throw GroupWire.Failed(description: "truncated") }
        return v
    }

    fileprivate mutating func int32() throws -> Int32 {
        guard let v = readInteger(as: Int32.self) else { throw GroupWire.Failed(description: "truncated") }
        return v
    }

    fileprivate mutating func string() throws -> String {
        let n = Int(try int16())
        guard n >= 0 else { return "" }
        guard let s = readString(length: n) else { throw GroupWire.Failed(description: "truncated") }
        return s
    }

    fileprivate mutating func bytes() throws -> [UInt8] {
        let n = Int(try int32())
        guard n >= 0 else { return [] }
        guard let b = readBytes(length: n) else { throw GroupWire.Failed(description: "truncated") }
        return b
    }
}
