/// How log lines look on stderr: `text` for people, `json` for log collectors.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `2026-01-02T03:04:05.678Z info ingester: http server listening port=8081`
    case text
    /// `{"time":"2026-01-02T03:04:05.678Z","level":"info","logger":"ingester","message":"…","port":"8081"}`
    case json
}
