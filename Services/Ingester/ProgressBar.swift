import Foundation

/// A one-line progress display on a terminal: records, bytes, rate and, when the size is known, an ETA.
/// Drawn at most ten times a second, and only once the run has taken a second (short files show nothing).
struct ProgressBar {
    let diagnostics: Diagnostics
    let label: String
    let totalBytes: Int?
    private let start: ContinuousClock.Instant
    private var lastDraw: ContinuousClock.Instant
    private var drawn = false

    /// - Parameter start: when the run began (a test may set it in the past).
    init(diagnostics: Diagnostics, label: String, totalBytes: Int?, start: ContinuousClock.Instant = .now) {
        self.diagnostics = diagnostics
        self.label = label
        self.totalBytes = totalBytes
        self.start = start
        self.lastDraw = start
    }

    mutating func update(records: Int, bytes: Int) {
        guard diagnostics.isTerminal else { return }
        let now = ContinuousClock.now
        guard now - start > .seconds(1), now - lastDraw > .milliseconds(100) else { return }
        lastDraw = now
        drawn = true
        diagnostics.raw(
            "\r" + Self.render(
                label: label, records: records, bytes: bytes, totalBytes: totalBytes,
                elapsed: Self.seconds(now - start)) + "\u{1B}[K")
    }

    /// The text of the bar: records, bytes, rate and, when the size is known, a bar, the percentage and the ETA.
    static func render(label: String, records: Int, bytes: Int, totalBytes: Int?, elapsed: Double) -> String {
        let rate = Double(records) / max(elapsed, 0.001)
        var text = "\(label): \(records) records, \(Self.mebibytes(bytes))"
        if let totalBytes, totalBytes > 0 {
            let fraction = min(1, Double(bytes) / Double(totalBytes))
            let width = 24
            let filled = Int(fraction * Double(width))
            let eta = fraction > 0 ? elapsed / fraction - elapsed : 0
            text += " of \(Self.mebibytes(totalBytes)) ["
                + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                + "] \(Int(fraction * 100))%, \(Int(rate)) rec/s, ETA \(Int(eta.rounded())) s"
        } else {
            text += ", \(Int(rate)) rec/s"
        }
        return text
    }

    /// Clears the line, so the summary starts at column 0.
    mutating func finish() {
        guard drawn else { return }
        diagnostics.raw("\r\u{1B}[K")
        drawn = false
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private static func mebibytes(_ bytes: Int) -> String {
        String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }
}
