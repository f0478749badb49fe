/// A file that cannot be read at all (as opposed to a bad record, which is dead-lettered).
struct ReaderError: Error, CustomStringConvertible {
    enum Code: String, Sendable {
        case cannotOpen = "cannot_open"
        case readFailed = "read_failed"
        case badHeader = "bad_header"
    }

    var code: Code
    var file: String
    var message: String

    var description: String { "\(file): \(message)" }
}
