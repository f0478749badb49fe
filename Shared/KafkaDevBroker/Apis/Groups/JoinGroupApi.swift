import Logging
import NIOConcurrencyHelpers
import NIOCore

/// JoinGroup v0-5: parked until the group's join phase completes; v4+ new members first get MEMBER_ID_REQUIRED.
enum JoinGroupApi {
    static func handle(_ c: RequestContext, _ r: inout KafkaReader) async throws -> ByteBuffer? {
        let groupID = try r.string()
        let session = try r.int32()
        let rebalance = c.version >= 1 ? try r.int32() : session
        let memberID = try r.string()
        let instance = c.version >= 5 ? try r.nullableString() : nil
        let protocolType = try r.string()
        let protocols = try r.array { r -> (name: String, metadata: ByteBuffer) in
            let name = try r.string()
            let metadata = try r.bytes()
            try r.skipTaggedFields()
            return (name, metadata)
        }
        try r.skipTaggedFields()
        if let refused = GroupApis.refusal(c, group: groupID) {
            return write(c, JoinOutcome(error: .none, memberID: memberID), error: refused)
        }
        let request = GroupCoordinator.JoinRequest(
            groupID: groupID, sessionTimeoutMs: session, rebalanceTimeoutMs: rebalance, memberID: memberID,
            groupInstanceID: instance, protocolType: protocolType, protocols: protocols,
            clientID: c.header.clientID ?? "", clientHost: GroupApis.clientHost(c), requireKnownMemberID: c.version >= 4)
        switch c.cluster.groups.join(request, on: c.eventLoop) {
        case .now(let outcome):
            return write(c, outcome, error: outcome.error.rawValue)
        case .wait(let wait):
            guard let outcome = await wait.value() else { throw CancellationError() }
            return write(c, outcome, error: outcome.error.rawValue)
        }
    }

    static func write(_ c: RequestContext, _ o: JoinOutcome, error: Int16) -> ByteBuffer {
        let f = c.flexible
        var out = ByteBuffer()
        if c.version >= 2 { out.writeInteger(RequestContext.noThrottle) }
        out.writeInteger(error)
        out.writeInteger(o.generationID)
        out.writeKafkaString(o.protocolName ?? "", flexible: f)
        out.writeKafkaString(o.leader, flexible: f)
        out.writeKafkaString(o.memberID, flexible: f)
        out.writeKafkaArray(o.members, flexible: f) { out, m in
            out.writeKafkaString(m.memberID, flexible: f)
            if c.version >= 5 { out.writeKafkaString(m.groupInstanceID, flexible: f) }
            out.writeKafkaBytes(m.metadata, flexible: f)
            out.writeEmptyTaggedFields(flexible: f)
        }
        out.writeEmptyTaggedFields(flexible: f)
        return out
    }
}
