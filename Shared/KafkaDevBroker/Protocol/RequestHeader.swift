import NIOCore

/// A request's header (v1, or v2 with tagged fields for flexible versions).
struct RequestHeader: Sendable {
    var apiKey: Int16
    var apiVersion: Int16
    var correlationID: Int32
    var clientID: String?

    /// Reads the header; `api` is nil for an API key this broker does not know.
    static func read(_ reader: inout KafkaReader) throws -> (RequestHeader, ApiKey?) {
        let key = try reader.int16()
        let version = try reader.int16()
        let correlation = try reader.int32()
        // The client id is a classic nullable string even in header v2.
        let classic = reader.flexible
        reader.flexible = false
        let client = try reader.nullableString()
        reader.flexible = classic
        let header = RequestHeader(apiKey: key, apiVersion: version, correlationID: correlation, clientID: client)
        let api = ApiKey(rawValue: key)
        if let api, api.versions.contains(version), api.isFlexible(version) {
            reader.flexible = true
            try reader.skipTaggedFields()
        }
        return (header, api)
    }
}
