import Foundation
import KakusaEvents
import Logging

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// POSTs one alert to one URL, signed, retrying timeouts, transport errors, 5xx and 429 with exponential back-off
/// and jitter (a 429's or 503's `Retry-After` seconds win), up to `maxAttempts`.
struct WebhookSink: Sendable {
    enum Result: Sendable, Equatable {
        case delivered(attempts: Int)
        /// Gave up: a 4xx other than 429 (at once), or the last attempt failed. `reason` carries no secret.
        case failed(reason: String, attempts: Int)
    }

    var configuration: WebhookConfiguration
    var signer: WebhookSigner
    /// The first retry waits about this long; each next one twice as long (capped at `maxBackoff`).
    var baseBackoff: Duration = .milliseconds(500)
    var maxBackoff: Duration = .seconds(30)
    var logger: Logger
    var session: URLSession = .shared

    /// The secret is read from the environment variable the file names; a missing one is refused at start.
    init(configuration: WebhookConfiguration, environment: [String: String], logger: Logger) throws(WebhookSetupError) {
        guard let secret = environment[configuration.secretEnv], !secret.isEmpty else {
            throw WebhookSetupError(
                url: configuration.url,
                reason: "environment variable \(configuration.secretEnv) (secret_env) is not set or empty")
        }
        self.configuration = configuration
        self.signer = WebhookSigner(secret: secret)
        self.logger = logger
    }

    func deliver(_ alert: Alert, now: @Sendable () -> Date = Date.init) async -> Result {
        guard let url = URL(string: configuration.url) else {
            return .failed(reason: "bad url", attempts: 0)
        }
        let body: [UInt8]
        do { body = try KakusaJSON.encode(alert) } catch { return .failed(reason: "cannot encode alert", attempts: 0) }
        var lastReason = ""
        for attempt in 1...configuration.maxAttempts {
            var request = URLRequest(url: url, timeoutInterval: TimeInterval(configuration.timeoutSeconds))
            request.httpMethod = "POST"
            request.httpBody = Data(body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            for (name, value) in signer.headers(id: alert.id, timestamp: Int(now().timeIntervalSince1970), body: body) {
                request.setValue(value, forHTTPHeaderField: name)
            }
            var retryAfter: Duration?
            do {
                let response = try await send(request)
                let status = response.statusCode
                if (200..<300).contains(status) {
                    AlerterMetrics.webhookAttempt(outcome: "ok")
                    return .delivered(attempts: attempt)
                }
                lastReason = "HTTP \(status)"
                guard status == 429 || status >= 500 else {
                    AlerterMetrics.webhookAttempt(outcome: "failed")
                    return .failed(reason: "\(lastReason) from \(Self.redacted(url))", attempts: attempt)
                }
                if let header = response.value(forHTTPHeaderField: "Retry-After"), let seconds = Int(header),
                    seconds >= 0
                {
                    retryAfter = .seconds(min(seconds, 300))
                }
            } catch {
                lastReason = (error as? URLError)?.code == .timedOut ? "timed out" : "transport error"
            }
            guard attempt < configuration.maxAttempts else { break }
            AlerterMetrics.webhookAttempt(outcome: "retry")
            let wait = retryAfter ?? backoff(attempt: attempt)
            logger.warning(
                "webhook attempt failed, retrying",
                metadata: [
                    "alert_id": "\(alert.id)", "url": "\(Self.redacted(url))", "attempt": "\(attempt)",
                    "reason": "\(lastReason)", "retry_in": "\(wait)",
                ])
            try? await Task.sleep(for: wait)
            if Task.isCancelled { break }
        }
        AlerterMetrics.webhookAttempt(outcome: "failed")
        return .failed(
            reason: "\(lastReason) from \(Self.redacted(url)) after \(configuration.maxAttempts) attempts",
            attempts: configuration.maxAttempts)
    }

    /// Full jitter on an exponential ceiling: uniform in [ceiling/2, ceiling].
    func backoff(attempt: Int) -> Duration {
        let ceiling = min(baseBackoff * (1 << min(attempt - 1, 20)), maxBackoff)
        return ceiling * Double.random(in: 0.5...1.0)
    }

    /// Scheme, host and path only: query strings often carry tokens.
    static func redacted(_ url: URL) -> String {
        "\(url.scheme ?? "http")://\(url.host ?? "?")\(url.port.map { ":\($0)" } ?? "")\(url.path)"
    }

    /// One call, cut off after `timeoutSeconds` by the sink itself (URLSession on Linux does not enforce a
    /// request's `timeoutInterval` for a server that accepts and then stalls).
    private func send(_ request: URLRequest) async throws -> HTTPURLResponse {
        let timeout = Duration.seconds(configuration.timeoutSeconds)
        return try await withThrowingTaskGroup(of: HTTPURLResponse.self) { group in
            group.addTask { try await perform(request) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw URLError(.timedOut)
            }
            defer { group.cancelAll() }
            guard let response = try await group.next() else { throw URLError(.timedOut) }
            return response
        }
    }

    private func perform(_ request: URLRequest) async throws -> HTTPURLResponse {
        let running = RunningTask()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let task = session.dataTask(with: request) { _, response, error in
                    if let error {
                        continuation.resume(throwing: error)
                    } else if let http = response as? HTTPURLResponse {
                        continuation.resume(returning: http)
                    } else {
                        continuation.resume(throwing: URLError(.badServerResponse))
                    }
                }
                running.start(task)
            }
        } onCancel: {
            running.cancel()
        }
    }
}

/// The data task of one call, so that a timeout or shutdown can cancel it from another task.
private final class RunningTask: @unchecked Sendable {
    private let lock = NSLock()
    private var task: URLSessionDataTask?
    private var cancelled = false

    func start(_ task: URLSessionDataTask) {
        let cancelNow = lock.withLock {
            self.task = task
            return cancelled
        }
        task.resume()
        if cancelNow { task.cancel() }
    }

    func cancel() {
        let task = lock.withLock {
            cancelled = true
            return self.task
        }
        task?.cancel()
    }
}

/// A webhook sink that cannot start (its secret is missing); says which variable, never a value.
struct WebhookSetupError: Error, CustomStringConvertible {
    var url: String
    var reason: String
    var description: String { "webhook \(url): \(reason)" }
}
