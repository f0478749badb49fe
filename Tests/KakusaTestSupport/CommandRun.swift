import Foundation
import Synchronization

/// A command run to its end: its exit status and what it wrote.
public struct CommandRun: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    /// Runs `command` (a path, or a name looked up on PATH) with `arguments`, writes `input` to its stdin and
    /// closes it, and waits for the exit. Both outputs are read as they come, so neither pipe can fill and block it.
    public static func run(
        _ command: String, _ arguments: [String], input: String? = nil, environment: [String: String]? = nil
    ) throws -> CommandRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command.hasPrefix("/") ? command : "/usr/bin/env")
        process.arguments = command.hasPrefix("/") ? arguments : [command] + arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        let inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inPipe
        let errors = Mutex(Data())
        let errorsDone = DispatchSemaphore(value: 0)
        err.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                errorsDone.signal()
            } else {
                errors.withLock { $0.append(data) }
            }
        }
        try process.run()
        if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try inPipe.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        errorsDone.wait()
        return CommandRun(
            status: process.terminationStatus, stdout: String(decoding: data, as: UTF8.self),
            stderr: errors.withLock { String(decoding: $0, as: UTF8.self) })
    }

    /// The stdout of a run that must succeed; throws with its stderr otherwise.
    public func output(of command: String) throws -> String {
        guard status == 0 else {
            throw ServiceProcessHarness.HarnessError(code: "command-failed", context: "\(command) exited \(status): \(stderr)")
        }
        return stdout
    }
}
