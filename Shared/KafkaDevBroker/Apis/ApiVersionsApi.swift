import Logging
import NIOConcurrencyHelpers
import NIOCore

/// ApiVersions (KIP-511 for v3): the versions of every API this broker serves.
enum ApiVersionsApi {
    static func handle(_ c: RequestContext, _ r: inout KafkaReader) throws -> ByteBuffer? {
        if c.version >= 3 {
            _ = try r.string()
            _ = try r.string()
            try r.skipTaggedFields()
        }
        var out = ByteBuffer()
        out.writeInteger(c.error(.none))
        out.writeKafkaArray(ApiKey.allCases, flexible: c.flexible) { out, api in
            out.writeInteger(api.rawValue)
            out.writeInteger(api.versions.lowerBound)
            out.writeInteger(api.versions.upperBound)
            out.writeEmptyTaggedFields(flexible: c.flexible)
        }
        if c.version >= 1 { out.writeInteger(RequestContext.noThrottle) }
        out.writeEmptyTaggedFields(flexible: c.flexible)
        return out
    }

    /// UNSUPPORTED_VERSION with the supported ranges in v0 form, which every client can read.
    static func writeUnsupported(_ out: inout ByteBuffer) {
        out.writeInteger(ErrorCode.unsupportedVersion.rawValue)
        out.writeKafkaArray(ApiKey.allCases) { out, api in
            out.writeInteger(api.rawValue)
            out.writeInteger(api.versions.lowerBound)
            out.writeInteger(api.versions.upperBound)
        }
    }
}
