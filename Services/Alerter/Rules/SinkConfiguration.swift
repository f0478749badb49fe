/// Where alerts go besides the `alerts` topic (which always gets them) and the log (which always logs them).
enum SinkConfiguration: Sendable, Equatable {
    /// POST, signed (Standard Webhooks), retried; delivered by its own consumer so it never stalls the rules.
    case webhook(WebhookConfiguration)
    /// A structured log line per alert (the default; every alert is logged anyway).
    case log
    /// One JSON alert a line on standard output.
    case stdout
}

struct WebhookConfiguration: Sendable, Equatable {
    var url: String
    /// The environment variable that holds the signing secret (never the secret itself).
    var secretEnv: String
    var maxAttempts: Int = 5
    /// Per attempt, seconds.
    var timeoutSeconds: Int = 10
}
