import Logging
import NIOConcurrencyHelpers
import NIOCore

/// DeleteTopics v0-3, answered by the controller.
enum DeleteTopicsApi {
    static func handle(_ c: RequestContext, _ r: inout KafkaReader) throws -> ByteBuffer? {
        let names = try r.array { try $0.string() }
        _ = try r.int32()
        let isController = c.cluster.controllerID == c.brokerID
        var out = ByteBuffer()
        if c.version >= 1 { out.writeInteger(RequestContext.noThrottle) }
        out.writeKafkaArray(names) { out, name in
            let code: Int16
            if let injected = c.injectedError {
                code = injected
            } else if !isController {
                code = ErrorCode.notController.rawValue
            } else {
                code = c.cluster.deleteTopic(name) ? 0 : ErrorCode.unknownTopicOrPartition.rawValue
            }
            out.writeKafkaString(name)
            out.writeInteger(code)
        }
        if c.version >= 0 { c.cluster.notifyAll() }
        return out
    }
}
