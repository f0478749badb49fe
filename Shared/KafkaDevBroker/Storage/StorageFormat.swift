import Foundation

/// The data directory's format marker, `kakusa-devbroker.format`: a devbroker reads only the version it knows,
/// and refuses any other directory with a message that says what it found and what to do.
enum StorageFormat {
    static let fileName = "kakusa-devbroker.format"
    /// 1: `topics.json`, `logs/<topic>-<partition>/<base offset>.log` (record batches v2 as stored, offsets
    /// assigned), `transactions.json` and `offsets.json`.
    static let version = 1

    static var contents: String { "kakusa-devbroker data directory\nformat \(version)\n" }

    /// The version the marker names, or nil when it names none.
    static func version(in text: String) -> Int? {
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("format ") {
            return Int(line.dropFirst("format ".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}

/// A data directory the devbroker cannot use: DevBroker.init throws it, and its description says what was found,
/// what was expected and what to do.
public struct DataDirectoryError: Error, CustomStringConvertible, Sendable {
    public let description: String
}
