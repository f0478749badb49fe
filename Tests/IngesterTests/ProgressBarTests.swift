import KakusaTestSupport
import Testing

@testable import Ingester

struct ProgressBarTests {
    @Test func aKnownSizeShowsTheBarThePercentageAndTheETA() {
        let text = ProgressBar.render(
            label: "big.ndjson (funding-rounds)", records: 50_000, bytes: 5 * 1_048_576, totalBytes: 10 * 1_048_576,
            elapsed: 2)
        #expect(text == "big.ndjson (funding-rounds): 50000 records, 5.0 MiB of 10.0 MiB [############............] "
            + "50%, 25000 rec/s, ETA 2 s")
    }

    @Test func anUnknownSizeShowsTheRateOnly() {
        let text = ProgressBar.render(label: "<stdin>", records: 300, bytes: 1_048_576, totalBytes: nil, elapsed: 3)
        #expect(text == "<stdin>: 300 records, 1.0 MiB, 100 rec/s")
    }

    @Test func aTerminalGetsTheBarAndAClearedLineAtTheEnd() {
        let captured = CapturedDiagnostics()
        var bar = ProgressBar(
            diagnostics: captured.diagnostics(isTerminal: true), label: "f", totalBytes: 100,
            start: .now - .seconds(2))
        bar.update(records: 10, bytes: 50)
        bar.finish()
        #expect(captured.text.hasPrefix("\rf: 10 records, 0.0 MiB of 0.0 MiB [############"))
        #expect(captured.text.hasSuffix("\r\u{1B}[K"))
    }

    @Test func aPipeGetsNoBar() {
        let captured = CapturedDiagnostics()
        var bar = ProgressBar(
            diagnostics: captured.diagnostics(isTerminal: false), label: "f", totalBytes: 100,
            start: .now - .seconds(2))
        bar.update(records: 10, bytes: 50)
        bar.finish()
        #expect(captured.text.isEmpty)
    }

    @Test func aShortRunDrawsNothing() {
        let captured = CapturedDiagnostics()
        var bar = ProgressBar(diagnostics: captured.diagnostics(isTerminal: true), label: "f", totalBytes: 100)
        bar.update(records: 10, bytes: 50)
        bar.finish()
        #expect(captured.text.isEmpty)
    }
}
