import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// An executable of this package (from the build products) started for one test, its stderr collected: the
/// services with `--http-port 0`, the devbroker with its bootstrap line read from stdout.
public final class ServiceProcessHarness: @unchecked Sendable {
    public struct HarnessError: Error, CustomStringConvertible {
        public var code: String
        public var context: String
        public var description: String { "\(code): \(context)" }

        public init(code: String, context: String) {
            self.code = code
            self.context = context
        }
    }

    /// Collects stderr from the pipe's handler thread; read by the test.
    final class Output: Sendable {
        private let state = Mutex((text: "", closed: false))
        func append(_ data: Data) { state.withLock { $0.text += String(decoding: data, as: UTF8.self) } }
        func close() { state.withLock { $0.closed = true } }
        var value: String { state.withLock { $0.text } }
        var isClosed: Bool { state.withLock { $0.closed } }
    }

    public let name: String
    public let process = Process()
    let collected = Output()
    public let started: ContinuousClock.Instant
    /// The first stdout line (the devbroker's bootstrap list), when asked for.
    public private(set) var firstLine = ""

    /// - Parameters:
    ///   - environment: added to this process's environment, from which every `KAKUSA_` variable (and, unless
    ///     `inheritKafkaEnvironment`, every `KAFKA_` one) is left out.
    ///   - readFirstLine: waits for the first stdout line (else stdout is discarded).
    public init(
        executable name: String, arguments: [String], environment: [String: String] = [:], directory: URL? = nil,
        inheritKafkaEnvironment: Bool = true, readFirstLine: Bool = false
    ) throws {
        self.name = name
        process.executableURL = try Self.productsDirectory().appendingPathComponent(name)
        if let directory { process.currentDirectoryURL = directory }
        process.arguments = arguments
        var inherited = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("KAKUSA_") && (inheritKafkaEnvironment || !$0.key.hasPrefix("KAFKA_"))
        }
        inherited.merge(environment) { _, new in new }
        process.environment = inherited
        let stdout = Pipe()
        process.standardOutput = readFirstLine ? stdout : FileHandle.nullDevice
        process.standardInput = Pipe()  // the devbroker reads commands from stdin: kept open
        let pipe = Pipe()
        process.standardError = pipe
        let output = self.collected
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
        if readFirstLine {
            var bytes: [UInt8] = []
            let handle = stdout.fileHandleForReading
            while let byte = try handle.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") { bytes.append(byte) }
            firstLine = String(decoding: bytes, as: UTF8.self)
            guard !firstLine.isEmpty else {
                throw HarnessError(code: "no-first-line", context: "\(name) printed nothing: \(collected.value)")
            }
        }
    }

    deinit { kill9() }

    /// What the process wrote to stderr so far.
    public var output: String { collected.value }
    public var isRunning: Bool { process.isRunning }

    /// The directory with the executables: next to the test runner (`.build/<triple>/debug/…xctest`), else
    /// `.build/debug` of this package.
    public static func productsDirectory() throws -> URL {
        var candidates: [URL] = []
        if let runner = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: runner).deletingLastPathComponent())
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        candidates.append(packageRoot.appendingPathComponent(".build/debug"))
        for directory in candidates
        where FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("ingester").path) {
            return directory
        }
        throw HarnessError(
            code: "executables-not-built",
            context: "no ingester in \(candidates.map(\.path)); run `swift build --build-tests` first"
        )
    }

    /// The package's root directory (for deploy/, data/).
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Polls stderr for `http server listening … port=N` (text or JSON) until `deadline`.
    public func waitForPort(within timeout: Duration) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        let pattern = /http server listening.*port[=":]+(\d+)/
        while ContinuousClock.now < deadline {
            for line in output.split(separator: "\n") {
                if let match = line.firstMatch(of: pattern), let port = Int(match.1) { return port }
            }
            guard process.isRunning else {
                throw HarnessError(code: "exited-early", context: "\(name) exited: \(output)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HarnessError(code: "no-port", context: "\(name) logged no port within \(timeout): \(output)")
    }

    /// GETs `path` until it answers or `deadline` passes; returns status and body.
    public func get(_ path: String, port: Int, within timeout: Duration = .seconds(5)) async throws -> (Int, String) {
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
    public func residentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
        else { throw HarnessError(code: "no-rss", context: "no VmRSS for \(name)") }
        return kilobytes * 1024
    }

    /// Waits up to `timeout` for the exit and the end of stderr; false if still running.
    public func waitForExit(within timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while (process.isRunning || !collected.isClosed) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        return !process.isRunning
    }

    /// Sends SIGTERM and waits up to `timeout` for the exit; returns the exit status, or nil if still running
    /// (then it is killed).
    public func terminate(within timeout: Duration) async throws -> Int32? {
        kill(process.processIdentifier, SIGTERM)
        _ = try await waitForExit(within: timeout)
        guard !process.isRunning else {
            kill9()
            return nil
        }
        return process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
    }

    /// Writes a line to the process's stdin (the devbroker's control commands: `down N`, `errors API CODE COUNT`).
    public func send(_ line: String) throws {
        guard let pipe = process.standardInput as? Pipe else {
            throw HarnessError(code: "no-stdin", context: "\(name) has no stdin pipe")
        }
        try pipe.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
    }

    /// SIGKILL, and waits for the exit.
    public func kill9() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// A `devbroker` started for one test; its first stdout line is the bootstrap list.
public final class DevBrokerProcess: @unchecked Sendable {
    public let harness: ServiceProcessHarness
    public var bootstrapServers: String { harness.firstLine }

    public init(arguments: [String] = ["--partitions", "2"]) throws {
        harness = try ServiceProcessHarness(executable: "devbroker", arguments: arguments, readFirstLine: true)
    }

    /// SIGTERM, and waits for the exit.
    public func stop() {
        guard harness.process.isRunning else { return }
        harness.process.terminate()
        harness.process.waitUntilExit()
    }

    deinit { stop() }
}
