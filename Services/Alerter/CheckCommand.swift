import ArgumentParser
import Foundation

/// `alerter check RULES`: validate a rules file; exit 0 when good, 2 with `FILE:LINE:COLUMN: reason` when not.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Validate a rules file (exit 0 if valid, 2 with FILE:LINE:COLUMN: reason).")

    @Argument(help: "The rules file (YAML).")
    var rules: String

    func run() throws {
        do throws(RulesFileError) {
            let set = try RulesLoader.load(path: rules)
            print("\(rules): ok, \(set.rules.count) rules, \(set.sinks.count) sinks")
        } catch {
            FileHandleStderr.write(error.description + "\n")
            throw ExitCode(2)
        }
    }
}

enum FileHandleStderr {
    static func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}
