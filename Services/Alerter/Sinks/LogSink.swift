import KakusaEvents
import KakusaService
import Logging

/// Every alert as one structured log line (the default sink; the alerter logs every alert whatever the sinks).
struct LogSink: Sendable {
    var logger: Logger

    func deliver(_ alert: Alert) {
        let level: Logger.Level =
            switch alert.severity {
            case .info: .info
            case .warning: .warning
            case .critical: .critical
            }
        logger.log(
            level: level, "alert",
            metadata: [
                LogKey.rule: "\(alert.rule)", "severity": "\(alert.severity.rawValue)", "subject": "\(alert.subject)",
                "alert_id": "\(alert.id)", "record_id": "\(alert.recordID)", LogKey.topic: "\(alert.topic)",
                "at": "\(alert.at)", "message": "\(alert.message)",
            ])
    }
}
