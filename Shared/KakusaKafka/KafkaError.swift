import CRdKafka

/// One error type for everything the Kafka layer throws: what went wrong (a `code`), librdkafka's own
/// error when there is one, a message a person can act on, and where in Kakusa it was raised.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure, stable for programs to switch on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public var description: String { rawValue }

        /// A librdkafka property was rejected or a value is out of range.
        public static let configuration = Code(rawValue: "configuration")
        /// The broker or librdkafka returned an error (see `rdKafkaCode`).
        public static let broker = Code(rawValue: "broker")
        /// A message could not be delivered after librdkafka's retries.
        public static let delivery = Code(rawValue: "delivery")
        /// A transaction failed and was aborted; re-read from the committed offsets and try again.
        public static let transactionAborted = Code(rawValue: "transaction-aborted")
        /// The client hit an unrecoverable error (e.g. a fenced transactional producer) and must be recreated.
        public static let fatal = Code(rawValue: "fatal")
        /// The operation did not finish in time.
        public static let timeout = Code(rawValue: "timeout")
        /// The client was already closed.
        public static let closed = Code(rawValue: "closed")
    }

    public let code: Code
    public let message: String
    /// librdkafka's `rd_kafka_resp_err_t`, when the error came from it.
    public let rdKafkaCode: Int32?
    /// librdkafka's name of that code, e.g. `UNKNOWN_TOPIC_OR_PART` or `_MSG_TIMED_OUT`.
    public let rdKafkaName: String?
    /// Trying the same call again may succeed.
    public let isRetriable: Bool
    public let file: String
    public let line: UInt

    public init(
        code: Code, message: String, rdKafkaCode: Int32? = nil, rdKafkaName: String? = nil,
        isRetriable: Bool = false, file: String = #fileID, line: UInt = #line
    ) {
        self.code = code
        self.message = message
        self.rdKafkaCode = rdKafkaCode
        self.rdKafkaName = rdKafkaName
        self.isRetriable = isRetriable
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "KafkaError(\(code)): \(message)"
        if let rdKafkaName { text += " [\(rdKafkaName)]" }
        return text + " at \(file):\(line)"
    }

    /// An error from a librdkafka response code.
    static func rdKafka(
        _ err: rd_kafka_resp_err_t, code: Code = .broker, context: String, retriable: Bool = false,
        file: String = #fileID, line: UInt = #line
    ) -> KafkaError {
        let name = String(cString: rd_kafka_err2name(err))
        let text = String(cString: rd_kafka_err2str(err))
        return KafkaError(
            code: code, message: "\(context): \(text)", rdKafkaCode: Int32(err.rawValue), rdKafkaName: name,
            isRetriable: retriable, file: file, line: line)
    }

    /// Takes ownership of a `rd_kafka_error_t` and destroys it.
    static func consuming(
        _ error: OpaquePointer, context: String, file: String = #fileID, line: UInt = #line
    ) -> KafkaError {
        defer { rd_kafka_error_destroy(error) }
        let err = rd_kafka_error_code(error)
        let code: Code =
            rd_kafka_error_is_fatal(error) != 0
            ? .fatal : (rd_kafka_error_txn_requires_abort(error) != 0 ? .transactionAborted : .broker)
        return KafkaError(
            code: code, message: "\(context): \(String(cString: rd_kafka_error_string(error)))",
            rdKafkaCode: Int32(err.rawValue), rdKafkaName: String(cString: rd_kafka_err2name(err)),
            isRetriable: rd_kafka_error_is_retriable(error) != 0, file: file, line: line)
    }
}
