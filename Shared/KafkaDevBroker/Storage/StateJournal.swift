import Foundation
import NIOConcurrencyHelpers

/// Small state files of the data directory (topics, committed offsets, transactions) kept as JSON snapshots,
/// each replaced whole and atomically (written to a temporary file, then renamed over), so a devbroker killed
/// at any moment leaves the previous or the new snapshot, never half of one. A snapshot equal to the last one
/// written is not written again.
final class StateJournal: @unchecked Sendable {
    let directory: String
    private let lock = NIOLock()
    private var lastWritten: [String: Data] = [:]

    init(directory: String) { self.directory = directory }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Writes `value` as `name` unless it equals what was last written there; `value` is built under the
    /// journal's lock, so snapshots land in the order they were taken.
    func save<T: Encodable>(_ name: String, _ value: () -> T) throws(Failure) {
        let failure = lock.withLock { () -> Failure? in
            let data: Data
            do {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                data = try encoder.encode(value())
            } catch {
                return Failure(description: "cannot encode \(name): \(error)")
            }
            guard lastWritten[name] != data else { return nil }
            let file = "\(directory)/\(name)"
            let temporary = "\(file).tmp"
            guard FileManager.default.createFile(atPath: temporary, contents: data) else {
                return Failure(description: "cannot write \(temporary)")
            }
            guard rename(temporary, file) == 0 else {
                return Failure(description: "cannot rename \(temporary) to \(file): \(String(cString: strerror(errno)))")
            }
            lastWritten[name] = data
            return nil
        }
        if let failure { throw failure }
    }

    /// The snapshot stored as `name`, nil when there is none; remembered as written.
    func load<T: Decodable>(_ name: String, as type: T.Type) throws(Failure) -> T? {
        let file = "\(directory)/\(name)"
        try? FileManager.default.removeItem(atPath: "\(file).tmp")
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        do {
            let value = try JSONDecoder().decode(T.self, from: data)
            lock.withLock { lastWritten[name] = data }
            return value
        } catch {
            throw Failure(description: "cannot read \(file): \(error)")
        }
    }
}
