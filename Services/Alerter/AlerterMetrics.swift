import Metrics

/// The alerter's Prometheus series (served on `/metrics`):
///
/// - `kakusa_alerts_total{rule, severity}`: alerts published;
/// - `kakusa_alerts_suppressed_total{rule, reason}`: matches kept quiet (`duplicate`, `cooldown`);
/// - `kakusa_alerter_records_total{topic, outcome}`: records read (`read`, of which `skipped` as
///   already applied and `dead_lettered` as invalid);
/// - `kakusa_webhook_attempts_total{outcome}`: webhook calls (`ok`, `retry`, `failed`);
/// - `kakusa_webhook_failures_total`: alerts dead-lettered after the last attempt.
enum AlerterMetrics {
    static func alert(rule: String, severity: String) {
        Counter(label: "kakusa_alerts_total", dimensions: [("rule", rule), ("severity", severity)]).increment()
    }

    static func suppressed(rule: String, reason: String) {
        Counter(label: "kakusa_alerts_suppressed_total", dimensions: [("rule", rule), ("reason", reason)])
            .increment()
    }

    static func records(topic: String, outcome: String, count: Int = 1) {
        guard count > 0 else { return }
        Counter(label: "kakusa_alerter_records_total", dimensions: [("topic", topic), ("outcome", outcome)])
            .increment(by: count)
    }

    static func webhookAttempt(outcome: String) {
        Counter(label: "kakusa_webhook_attempts_total", dimensions: [("outcome", outcome)]).increment()
    }

    static func webhookFailure() {
        Counter(label: "kakusa_webhook_failures_total").increment()
    }
}
