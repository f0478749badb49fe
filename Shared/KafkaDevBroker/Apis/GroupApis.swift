import Logging
import NIOConcurrencyHelpers
import NIOCore

/// JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups, ListGroups and
/// TxnOffsetCommit, served by the group coordinator (one file per API under Apis/Groups).
enum GroupApis {
    static func handle(_ c: RequestContext, _ r: inout KafkaReader) async throws -> ByteBuffer? {
        switch c.api {
        case .joinGroup: try await JoinGroupApi.handle(c, &r)
        case .syncGroup: try await SyncGroupApi.handle(c, &r)
        case .heartbeat: try HeartbeatApi.handle(c, &r)
        case .leaveGroup: try LeaveGroupApi.handle(c, &r)
        case .offsetCommit: try OffsetCommitApi.handle(c, &r)
        case .offsetFetch: try OffsetFetchApi.handle(c, &r)
        case .describeGroups: try DescribeGroupsApi.handle(c, &r)
        case .listGroups: try ListGroupsApi.handle(c, &r)
        case .txnOffsetCommit: try TxnOffsetCommitApi.handle(c, &r)
        default: throw MalformedRequest(reason: "\(c.api.name) is no group API")
        }
    }

    /// The error a request for `group` gets before the coordinator sees it: an injected one, NOT_COORDINATOR when
    /// another broker coordinates the group, COORDINATOR_NOT_AVAILABLE when no broker is up; nil to go on.
    static func refusal(_ c: RequestContext, group: String) -> Int16? {
        if let injected = c.injectedError { return injected }
        guard let broker = c.cluster.coordinator(for: group) else { return ErrorCode.coordinatorNotAvailable.rawValue }
        return broker.id == c.brokerID ? nil : ErrorCode.notCoordinator.rawValue
    }

    /// The client's address as Kafka shows it in DescribeGroups ("/127.0.0.1"), from NIO's "[IPv4]host/ip:port".
    static func clientHost(_ c: RequestContext) -> String {
        let remote = c.connection.remote
        guard let close = remote.firstIndex(of: "]") else { return remote }
        let rest = remote[remote.index(after: close)...]
        let host = rest.split(separator: "/", maxSplits: 1).first.map(String.init) ?? String(rest)
        return "/" + host
    }

    /// A `(topic, [partition])` request list, shared by the offset APIs.
    static func readTopics<P>(_ r: inout KafkaReader, _ partition: (inout KafkaReader) throws -> P) throws
        -> [(String, [P])]?
    {
        try r.nullableArray { r -> (String, [P]) in
            let name = try r.string()
            let parts = try r.array(partition)
            try r.skipTaggedFields()
            return (name, parts)
        }
    }

    /// A `[topic [partition error]]` response, shared by OffsetCommit and TxnOffsetCommit.
    static func writePartitionErrors(_ out: inout ByteBuffer, _ topics: [(String, [(Int32, Int16)])], flexible: Bool) {
        out.writeKafkaArray(topics, flexible: flexible) { out, t in
            out.writeKafkaString(t.0, flexible: flexible)
            out.writeKafkaArray(t.1, flexible: flexible) { out, p in
                out.writeInteger(p.0)
                out.writeInteger(p.1)
                out.writeEmptyTaggedFields(flexible: flexible)
            }
            out.writeEmptyTaggedFields(flexible: flexible)
        }
    }
}
