import Foundation
import KafkaDevBroker
import Logging

/// The fault controls read from stdin, one a line, for the fault suite.
enum ControlCommands {
    static let usage = """
        down N                  broker N refuses connections; its partitions fail over to a live broker
        up N                    broker N listens again
        errors API CODE COUNT   the next COUNT requests of API (a key number or a name such as produce) get CODE
        delay N MS              broker N answers MS milliseconds later (0 ends the delay)
        """

    enum Command: Equatable {
        case down(Int32), up(Int32), errors(api: Int16, code: Int16, count: Int), delay(broker: Int32, ms: Int64)
    }

    struct Invalid: Error, CustomStringConvertible {
        let line: String
        let reason: String
        var description: String { "\(reason) in control command \"\(line)\"" }
    }

    static func parse(_ line: String) throws -> Command {
        let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        switch (words.first, words.count) {
        case ("down", 2), ("up", 2):
            guard let id = Int32(words[1]), id > 0 else { throw Invalid(line: line, reason: "broker id must be a number") }
            return words[0] == "up" ? .up(id) : .down(id)
        case ("errors", 4):
            let api = Int16(words[1]) ?? ApiKey.allCases.first { $0.name.lowercased() == words[1].lowercased() }?.rawValue
            guard let api else { throw Invalid(line: line, reason: "unknown API \(words[1])") }
            guard let code = Int16(words[2]), let count = Int(words[3]), count > 0 else {
                throw Invalid(line: line, reason: "CODE and COUNT must be numbers")
            }
            return .errors(api: api, code: code, count: count)
        case ("delay", 3):
            guard let id = Int32(words[1]), let ms = Int64(words[2]), ms >= 0 else {
                throw Invalid(line: line, reason: "broker id and MS must be numbers")
            }
            return .delay(broker: id, ms: ms)
        default:
            throw Invalid(line: line, reason: "unknown command")
        }
    }

    /// Reads commands until stdin ends (closed or /dev/null).
    static func run(_ broker: DevBroker, logger: Logger) {
        while let line = readLine() {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            do {
                switch try parse(line) {
                case .down(let id): try broker.setBroker(id, up: false)
                case .up(let id): try broker.setBroker(id, up: true)
                case let .errors(api, code, count): broker.cluster.injectErrors(api: api, code: code, count: count)
                case let .delay(id, ms): broker.cluster.setDelay(broker: id, milliseconds: ms)
                }
                logger.info("control command applied", metadata: ["command": "\(line)"])
            } catch {
                logger.warning("\(error)", metadata: ["usage": "\(usage)"])
            }
        }
    }
}
