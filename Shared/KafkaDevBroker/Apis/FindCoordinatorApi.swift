import Logging
import NIOConcurrencyHelpers
import NIOCore

/// FindCoordinator v0-2: the broker that coordinates a group (key type 0) or a transactional id (1).
enum FindCoordinatorApi {
    static func handle(_ c: RequestContext, _ r: inout KafkaReader) throws -> ByteBuffer? {
        let key = try r.string()
        let keyType = c.version >= 1 ? try r.int8() : 0
        var out = ByteBuffer()
        if c.version >= 1 { out.writeInteger(RequestContext.noThrottle) }
        let broker = c.cluster.coordinator(for: key)
        var code = c.error(broker == nil ? .coordinatorNotAvailable : .none)
        if keyType != 0 && keyType != 1 { code = ErrorCode.invalidRequest.rawValue }
        out.writeInteger(code)
        if c.version >= 1 { out.writeKafkaString(code == 0 ? nil : "coordinator not available") }
        let ok = code == 0 && broker != nil
        out.writeInteger(ok ? broker!.id : -1)
        out.writeKafkaString(ok ? broker!.host : "")
        out.writeInteger(Int32(ok ? broker!.port : -1))
        return out
    }
}
