import Foundation

/// Why a record went to `dead-letters` and where it came from, as Kafka headers beside the rejected bytes
/// (after Kafka Connect's `__connect.errors.*`):
///
/// - `kakusa.dlt.error.code`: the first issue's code (`missing`, `unknown_currency`, …)
/// - `kakusa.dlt.error.field`: the first issue's field (`valuation.currency`); empty for the whole record
/// - `kakusa.dlt.error.message`: every issue as `field: reason`, joined by `; `
/// - `kakusa.dlt.source.file`, `kakusa.dlt.source.line`: the input file and 1-based line (ingester)
/// - `kakusa.dlt.original.topic`, `.partition`, `.offset`: where a consumed record was read (aggregator, alerter)
/// - `kakusa.dlt.service`: the service that rejected it
/// - `kakusa.dlt.time`: when, RFC 3339 UTC
///
/// Absent values are left out rather than written empty.
public struct DeadLetterHeaders: Sendable, Equatable, Hashable {
    public static let errorCodeKey = "kakusa.dlt.error.code"
    public static let errorFieldKey = "kakusa.dlt.error.field"
    public static let errorMessageKey = "kakusa.dlt.error.message"
    public static let sourceFileKey = "kakusa.dlt.source.file"
    public static let sourceLineKey = "kakusa.dlt.source.line"
    public static let originalTopicKey = "kakusa.dlt.original.topic"
    public static let originalPartitionKey = "kakusa.dlt.original.partition"
    public static let originalOffsetKey = "kakusa.dlt.original.offset"
    public static let serviceKey = "kakusa.dlt.service"
    public static let timeKey = "kakusa.dlt.time"

    public var errorCode: String
    public var errorField: String?
    public var errorMessage: String
    public var sourceFile: String?
    public var sourceLine: Int?
    public var originalTopic: String?
    public var originalPartition: Int?
    public var originalOffset: Int64?
    public var service: String
    public var time: String

    public init(
        errorCode: String, errorField: String? = nil, errorMessage: String, sourceFile: String? = nil,
        sourceLine: Int? = nil, originalTopic: String? = nil, originalPartition: Int? = nil,
        originalOffset: Int64? = nil, service: String, time: String
    ) {
        self.errorCode = errorCode
        self.errorField = errorField
        self.errorMessage = errorMessage
        self.sourceFile = sourceFile
        self.sourceLine = sourceLine
        self.originalTopic = originalTopic
        self.originalPartition = originalPartition
        self.originalOffset = originalOffset
        self.service = service
        self.time = time
    }

    /// Headers for a record rejected with `issues` (code and field of the first, message of all).
    public init(
        issues: [ValidationIssue], service: String, sourceFile: String? = nil, sourceLine: Int? = nil,
        originalTopic: String? = nil, originalPartition: Int? = nil, originalOffset: Int64? = nil,
        time: Date = Date()
    ) {
        self.init(
            errorCode: issues.first?.code ?? "invalid", errorField: issues.first?.field,
            errorMessage: issues.map(\.description).joined(separator: "; "), sourceFile: sourceFile,
            sourceLine: sourceLine, originalTopic: originalTopic, originalPartition: originalPartition,
            originalOffset: originalOffset, service: service, time: RFC3339.string(from: time))
    }

    /// The Kafka headers, in the order documented above.
    public var headers: [(key: String, value: String)] {
        var headers: [(key: String, value: String)] = [(Self.errorCodeKey, errorCode)]
        if let errorField { headers.append((Self.errorFieldKey, errorField)) }
        headers.append((Self.errorMessageKey, errorMessage))
        if let sourceFile { headers.append((Self.sourceFileKey, sourceFile)) }
        if let sourceLine { headers.append((Self.sourceLineKey, String(sourceLine))) }
        if let originalTopic { headers.append((Self.originalTopicKey, originalTopic)) }
        if let originalPartition { headers.append((Self.originalPartitionKey, String(originalPartition))) }
        if let originalOffset { headers.append((Self.originalOffsetKey, String(originalOffset))) }
        headers.append((Self.serviceKey, service))
        headers.append((Self.timeKey, time))
        return headers
    }

    /// Reads them back; nil unless the code, message, service and time are present.
    public init?(headers: [(key: String, value: String)]) {
        func value(_ key: String) -> String? { headers.last(where: { $0.key == key })?.value }
        guard let code = value(Self.errorCodeKey), let message = value(Self.errorMessageKey),
            let service = value(Self.serviceKey), let time = value(Self.timeKey)
        else { return nil }
        self.init(
            errorCode: code, errorField: value(Self.errorFieldKey), errorMessage: message,
            sourceFile: value(Self.sourceFileKey), sourceLine: value(Self.sourceLineKey).flatMap { Int($0) },
            originalTopic: value(Self.originalTopicKey),
            originalPartition: value(Self.originalPartitionKey).flatMap { Int($0) },
            originalOffset: value(Self.originalOffsetKey).flatMap { Int64($0) }, service: service, time: time)
    }
}
