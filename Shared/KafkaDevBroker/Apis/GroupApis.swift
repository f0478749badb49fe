import Logging
import NIOConcurrencyHelpers
import NIOCore

/// JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups, ListGroups and
/// TxnOffsetCommit, served by the group coordinator.
enum GroupApis {
    static func handle(_ c: RequestContext, _ r: inout KafkaReader) async throws -> ByteBuffer? {
        throw MalformedRequest(reason: "\(c.api.name) is not served yet")
    }
}
