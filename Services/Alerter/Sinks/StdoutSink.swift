import Foundation
import KakusaEvents
import Synchronization

/// Every alert as one JSON line on standard output (NDJSON), for piping into `jq` or a file.
final class StdoutSink: Sendable {
    private let lock = Mutex(())

    func deliver(_ alert: Alert) {
        guard var line = try? KakusaJSON.encode(alert) else { return }
        line.append(UInt8(ascii: "\n"))
        lock.withLock { _ in FileHandle.standardOutput.write(Data(line)) }
    }
}
