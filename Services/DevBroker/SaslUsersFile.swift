import ArgumentParser
import Foundation

/// The `--sasl-users` file: one `user:password` a line; blank lines and lines starting with # are skipped.
enum SaslUsersFile {
    static func read(_ path: String) throws -> [String: String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("--sasl-users \(path): cannot read the file")
        }
        var users: [String: String] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex, line.index(after: colon) != line.endIndex
            else {
                throw ValidationError("\(path):\(index + 1): expected user:password")
            }
            let user = String(line[..<colon])
            guard users[user] == nil else { throw ValidationError("\(path):\(index + 1): user \(user) is listed twice") }
            users[user] = String(line[line.index(after: colon)...])
        }
        guard !users.isEmpty else { throw ValidationError("\(path): no users") }
        return users
    }
}
