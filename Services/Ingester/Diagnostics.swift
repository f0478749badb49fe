import Foundation
import Synchronization

/// Where `ingester publish` writes its per-record complaints, summaries and progress: stderr, or a buffer in tests.
final class Diagnostics: Sendable {
    private let write: @Sendable (String) -> Void
    /// Whether a progress bar may be drawn (stderr is a terminal).
    let isTerminal: Bool

    init(isTerminal: Bool = false, write: @escaping @Sendable (String) -> Void) {
        self.isTerminal = isTerminal
        self.write = write
    }

    static let standardError = Diagnostics(isTerminal: isatty(2) == 1) { text in
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// A line (a newline is added).
    func line(_ text: String) { write(text + "\n") }

    /// Raw text, for the progress bar's carriage returns.
    func raw(_ text: String) { write(text) }
}

/// Collects what a run wrote, for tests.
final class CapturedDiagnostics: Sendable {
    private let buffer = Mutex("")
    var text: String { buffer.withLock { $0 } }
    var lines: [String] { text.split(separator: "\n").map(String.init) }

    var diagnostics: Diagnostics { diagnostics(isTerminal: false) }

    func diagnostics(isTerminal: Bool) -> Diagnostics {
        Diagnostics(isTerminal: isTerminal) { text in self.buffer.withLock { $0 += text } }
    }
}
