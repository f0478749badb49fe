import Foundation
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The real `ingester serve` executable from the build products, on a free port, its stderr captured.
/// (After the kit's `ServiceProcessHarness`.)
final class IngesterProcess {
    struct HarnessError: Error, CustomStringConvertible {
        var code: String
        var context: String
        var description: String { "\(code): \(context)" }
    }

    final class Output: Sendable {
        private let state = Mutex("")
        func append(_ data: Data) { state.withLock { $0 += String(decoding: data, as: UTF8.self) } }
        var value: String { state.withLock { $0 } }
    }

    let process = Process()
    let output = Output()
    private(set) var port = 0

    /// Starts `ingester serve` against `brokers` and waits until it listens.
    init(brokers: String, environment: [String: String] = [:]) async throws {
        process.executableURL = try Self.productsDirectory().appendingPathComponent("ingester")
        process.arguments = ["serve", "--brokers", brokers, "--http-host", "127.0.0.1", "--http-port", "0"]
        var inherited = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("KAKUSA_") }
        inherited.merge(environment) { _, new in new }
        process.environment = inherited
        process.standardOutput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardError = pipe
        let output = self.output
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil } else { output.append(data) }
        }
        try process.run()
        port = try await waitForPort(within: .seconds(30))
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

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
        throw HarnessError(code: "executables-not-built", context: "no ingester in \(candidates.map(\.path))")
    }

    private func waitForPort(within timeout: Duration) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        let pattern = /http server listening.*port[=":]+(\d+)/
        while ContinuousClock.now < deadline {
            for line in output.value.split(separator: "\n") {
                if let match = line.firstMatch(of: pattern), let port = Int(match.1) { return port }
            }
            guard process.isRunning else {
                throw HarnessError(code: "exited-early", context: output.value)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError(code: "no-port", context: output.value)
    }

    /// POSTs `body` to `path`; returns the status and the body.
    func post(_ path: String, _ body: String) async throws -> (status: Int, body: Data) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        request.timeoutInterval = 30
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? -1, data)
    }

    /// GETs `path`; returns the status and the body as text.
    func get(_ path: String) async throws -> (status: Int, body: String) {
        let request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? -1, String(decoding: data, as: UTF8.self))
    }

    /// Polls `/health/ready` until it says `ready` (the probe has seen the broker).
    func waitUntilReady(within timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        let request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/health/ready")!)
        while ContinuousClock.now < deadline {
            if let (_, response) = try? await URLSession.shared.data(for: request),
                (response as? HTTPURLResponse)?.statusCode == 200
            {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError(code: "not-ready", context: output.value)
    }
}
