import Foundation
import KakusaTestSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The real `ingester serve` executable on a free port, with requests to it.
final class IngesterProcess {
    let harness: ServiceProcessHarness
    let port: Int

    /// Starts `ingester serve` against `brokers` and waits until it listens.
    init(brokers: String, environment: [String: String] = [:]) async throws {
        harness = try ServiceProcessHarness(
            executable: "ingester",
            arguments: ["serve", "--brokers", brokers, "--http-host", "127.0.0.1", "--http-port", "0"],
            environment: environment)
        port = try await harness.waitForPort(within: .seconds(30))
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
        let (status, body) = try await harness.get(path, port: port)
        return (status, body)
    }

    /// Polls `/health/ready` until it says `ready` (the probe has seen the broker).
    func waitUntilReady(within timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let (status, _) = try? await harness.get("/health/ready", port: port, within: .seconds(1)), status == 200 {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ServiceProcessHarness.HarnessError(code: "not-ready", context: harness.output)
    }
}
