import Logging
import NIOConcurrencyHelpers
import NIOCore

/// SyncGroup v0-3: the leader hands in the assignment; every member's SyncGroup waits for it and gets its own.
enum SyncGroupApi {
    static func handle(_ c: RequestContext, _ r: inout KafkaReader) async throws -> ByteBuffer? {
        let groupID = try r.string()
        let generation = try r.int32()
        let memberID = try r.string()
        let instance = c.version >= 3 ? try r.nullableString() : nil
        let assignments = try r.array { r -> (String, ByteBuffer) in
            let member = try r.string()
            let assignment = try r.bytes()
            try r.skipTaggedFields()
            return (member, assignment)
        }
        try r.skipTaggedFields()
        if let refused = GroupApis.refusal(c, group: groupID) {
            return write(c, SyncOutcome(error: .none), error: refused)
        }
        let byMember = Dictionary(assignments, uniquingKeysWith: { _, last in last })
        switch c.cluster.groups.sync(
            groupID: groupID, generationID: generation, memberID: memberID, groupInstanceID: instance,
            assignments: byMember, on: c.eventLoop)
        {
        case .now(let outcome):
            return write(c, outcome, error: outcome.error.rawValue)
        case .wait(let wait):
            guard let outcome = await wait.value() else { throw CancellationError() }
            return write(c, outcome, error: outcome.error.rawValue)
        }
    }

    static func write(_ c: RequestContext, _ o: SyncOutcome, error: Int16) -> ByteBuffer {
        var out = ByteBuffer()
        if c.version >= 1 { out.writeInteger(RequestContext.noThrottle) }
        out.writeInteger(error)
        out.writeKafkaBytes(error == 0 ? o.assignment : ByteBuffer(), flexible: c.flexible)
        out.writeEmptyTaggedFields(flexible: c.flexible)
        return out
    }
}
