import Foundation
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A service executable started from the build products with `--http-port 0`, its stderr captured line by line.
final class ServiceProcessHarness {
    struct HarnessError: Error, CustomStringConvertible {
        var code: String
        var context: String
        var description: String { "\(code): \(context)" }
    }

    /// Collects stderr from the pipe's handler thread; read by the test.
    final class Output: Sendable {
        private let state = Mutex((text: "", closed: false))
        func append(_ data: Data) { state.withLock { $0.text += String(decoding: data, as: UTF8.self) } }
        func close() { state.withLock { $0.closed = true } }
        var value: String { state.withLock { $0.text } }
        var isClosed: Bool { state.withLock { $0.closed } }
    }

    let name: String
    let process = Process()
    let output = Output()
    let started: ContinuousClock.Instant

    init(executable name: String, arguments: [String], environment: [String: String] = [:], directory: URL? = nil) throws {
        self.name = name
        process.executableURL = try Self.productsDirectory().appendingPathComponent(name)
        if let directory { process.currentDirectoryURL = directory }
        process.arguments = arguments
        var inherited = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("KAKUSA_") }
        inherited.merge(environment) { _, new in new }
        process.environment = inherited
        process.standardOutput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardError = pipe
        let output = self.output
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                output.close()
            } else {
                output.append(data)
            }
        }
        started = .now
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    /// The directory with the `ingester`, `aggregator` and `alerter` executables: next to the test runner
    /// (`.build/<triple>/debug/kakusaPackageTests.xctest`), else `.build/debug` of this package.
    static func productsDirectory() throws -> URL {
        var candidates: [URL] = []
        if let runner = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: runner).deletingLastPathComponent())
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(package.appendingPathComponent(".build/debug"))
        for directory in candidates
        where FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("ingester").path) {
            return directory
        }
        throw HarnessError(
            code: "executables-not-built",
            context: "no ingester in \(candidates.map(\.path)); run `swift build --build-tests` first"
        )
    }

    /// Polls stderr for `http server listening … port=N` (text or JSON) until `deadline`.
    func waitForPort(within timeout: Duration) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        let pattern = /http server listening.*port[=":]+(\d+)/
        while ContinuousClock.now < deadline {
            for line in output.value.split(separator: "\n") {
                if let match = line.firstMatch(of: pattern), let port = Int(match.1) { return port }
            }
            guard process.isRunning else {
                throw HarnessError(code: "exited-early", context: "\(name) exited: \(output.value)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HarnessError(code: "no-port", context: "\(name) logged no port within \(timeout): \(output.value)")
    }

    /// GETs `path` until it answers or `deadline` passes; returns status and body.
    func get(_ path: String, port: Int, within timeout: Duration = .seconds(5)) async throws -> (Int, String) {
        let deadline = ContinuousClock.now + timeout
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.timeoutInterval = 2
        var lastError: (any Error)?
        while ContinuousClock.now < deadline {
            do {
                let (data, response) = try await URLSession.shared.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? -1
                return (status, String(decoding: data, as: UTF8.self))
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        throw HarnessError(code: "no-answer", context: "GET \(path) on \(name): \(String(describing: lastError))")
    }

    /// Resident set size in bytes, from `VmRSS` in `/proc/PID/status`.
    func residentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
        else { throw HarnessError(code: "no-rss", context: "no VmRSS for \(name)") }
        return kilobytes * 1024
    }

    /// Waits up to `timeout` for the exit and the end of stderr; false if still running.
    func waitForExit(within timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while (process.isRunning || !output.isClosed) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        return !process.isRunning
    }

    /// Sends SIGTERM and waits up to `timeout` for the exit; returns the exit status, or nil if still running.
    func terminate(within timeout: Duration) async throws -> Int32? {
        kill(process.processIdentifier, SIGTERM)
        _ = try await waitForExit(within: timeout)
        guard !process.isRunning else {
            process.interrupt()
            kill(process.processIdentifier, SIGKILL)
            return nil
        }
        return process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
    }
}
