import Foundation
import KakusaTestSupport
import Testing

@testable import Alerter

/// Property-based hostile input for the rules loader (issue 9, scenario 5): a good file mutated line by line and
/// byte by byte, for a fixed seed and budget. Every file is either loaded or refused with a line, a column and a
/// reason; nothing crashes or hangs.
@Suite struct HostileRulesTests {
    static let iterations = 2000

    static let good = """
        rules:
          - name: jump
            topic: valuation-changes
            where: { country: CN }
            when: { field: change_pct, abs_gte: 25 }
            severity: critical
            cooldown: 24h
            message: "{company} {direction} {change_pct|abs}%"
          - name: selloff
            topic: stock-moves
            when: { field: change_pct, lte: -10 }
            severity: warning
        sinks:
          - kind: webhook
            url: http://127.0.0.1:9000/hook
            secret_env: KAKUSA_WEBHOOK_SECRET
            max_attempts: 3
            timeout: 5s
          - kind: stdout
        """

    static let hostile = [
        ".nan", ".inf", "-.inf", "1e400", "-1e400", "0x1F", "~", "null", "[]", "{}", "&a x", "*a", "*undefined",
        "!!binary AAAA", "!!python/object:os.system", "\t", "'", "\"", "{", "[", "- ", ": ", "? ", "%YAML 1.1",
        "---", "...", "|", ">", "#", String(repeating: "[", count: 500), String(repeating: "x", count: 10_000),
        "999999999999999999999999999999", "24x", "-5s", "0s", "\u{0}", "\u{FEFF}", "é", "\u{1F600}",
    ]

    static func mutate(_ text: String, _ rng: inout SeededGenerator) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let at = Int.random(in: 0..<lines.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: lines.remove(at: at)
            case 1: lines.insert(lines[Int.random(in: 0..<lines.count, using: &rng)], at: at)
            case 2:
                // A hostile value after the key.
                if let colon = lines[at].firstIndex(of: ":") {
                    lines[at] = String(lines[at][...colon]) + " " + hostile.randomElement(using: &rng)!
                }
            case 3:
                var chars = Array(lines[at])
                if !chars.isEmpty {
                    let replacement = hostile.randomElement(using: &rng)!.first ?? " "
                    chars[Int.random(in: 0..<chars.count, using: &rng)] = replacement
                }
                lines[at] = String(chars)
            case 4:
                let indent = String(repeating: " ", count: Int.random(in: 0...6, using: &rng))
                lines[at] = indent + lines[at].drop { $0 == " " }
            default: lines.insert(hostile.randomElement(using: &rng)!, at: at)
            }
            if lines.isEmpty { lines = [""] }
        }
        return lines.joined(separator: "\n")
    }

    @Test func mutatedRulesFilesLoadOrAreRefusedWithALineAndAReason() async {
        var rng = SeededGenerator(state: 0x5255_4C45_53)
        var refused = 0
        var loaded = 0
        for _ in 0..<Self.iterations {
            await Task.yield()  // CPU work: leave the cooperative threads to the tests alongside
            let text = Self.mutate(Self.good, &rng)
            do {
                let rules = try RulesLoader(file: "fuzz.yaml").parse(text)
                #expect(!rules.rules.isEmpty)
                loaded += 1
            } catch {
                refused += 1
                let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count
                #expect(error.line >= 1 && error.line <= lineCount + 1, "\(error) for:\n\(text)")
                #expect(error.column >= 1)
                #expect(!error.reason.isEmpty)
            }
        }
        // Both outcomes must be exercised, or the property says nothing.
        #expect(refused > Self.iterations / 4)
        #expect(loaded > 10)
    }

    @Test func aliasBombsAndInvalidUTF8AreRefusedNotACrash() throws {
        let bomb = """
            a: &a ["x","x","x","x","x","x","x","x","x"]
            b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
            c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
            d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
            rules: [*d]
            """
        #expect(throws: RulesFileError.self) { try RulesLoader(file: "bomb.yaml").parse(bomb) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID()).yaml").path
        try Data([0x72, 0x75, 0x6C, 0x65, 0x73, 0x3A, 0x20, 0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try RulesLoader.load(path: path)
            Issue.record("invalid UTF-8 loaded")
        } catch {
            #expect(error.line >= 1 && !error.reason.isEmpty)
        }
    }
}
