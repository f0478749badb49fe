import Foundation
import KakusaEvents
import KakusaService
import Testing

/// compose.yaml cannot drift from the code: its topic-init creates every topic the services use (compacted where
/// the code says so), each service gets its default port, every KAKUSA_ variable it sets is a known key, and the demo
/// profile publishes the seed story in the order scripts/demo does.
@Suite struct ComposeConsistencyTests {
    let compose: String

    init() throws {
        compose = try String(contentsOf: packageRoot.appendingPathComponent("compose.yaml"), encoding: .utf8)
    }

    /// Topics created by `for t in A B; do create "kakusa.$$t"[ compact]; done` lines, with whether compacted.
    var createdTopics: [String: Bool] {
        var topics: [String: Bool] = [:]
        for line in compose.split(separator: "\n") {
            guard let match = line.firstMatch(of: /for t in ([^;]+); do create "kakusa\.\$\$t"( compact)?; done/) else {
                continue
            }
            for name in match.1.split(separator: " ") { topics["kakusa." + name] = match.2 != nil }
        }
        return topics
    }

    @Test func topicInitCreatesEveryTopicTheCodeUsesWithItsCleanupPolicy() {
        let topics = Topics()
        let expected = Dictionary(uniqueKeysWithValues: (topics.all + topics.internalAll).map { ($0.name, $0.compacted) })
        #expect(createdTopics == expected)
    }

    @Test(arguments: ServiceName.allCases)
    func eachServiceListensOnItsDefaultPort(_ service: ServiceName) throws {
        let port = service.defaultHTTPPort
        let block = try #require(serviceBlock(named: service.rawValue))
        #expect(block.contains("KAKUSA_HTTP_PORT: \"\(port)\""))
        #expect(block.contains("\"\(port):\(port)\""))
        #expect(block.contains("http://127.0.0.1:\(port)/health/ready"))
    }

    @Test func everyKakusaVariableInComposeIsAConfigurationKey() {
        let known = Set(ConfigurationKey.allCases.map(\.environmentName))
        // Named by a rules file's `secret_env`, read by the webhook sink, not a configuration key.
        let secrets: Set<String> = ["KAKUSA_WEBHOOK_SECRET"]
        let used = Set(compose.matches(of: /\b(KAKUSA_[A-Z_]+|KAFKA_BROKERS)\b/).map { String($0.1) })
        #expect(used.subtracting(known).subtracting(secrets).isEmpty, "unknown: \(used.subtracting(known).subtracting(secrets))")
    }

    /// The files the demo profile's seed service publishes, in order, as paths in the repository (the image's /data is
    /// the repository's data/).
    func seedFiles() throws -> [String] {
        let block = try #require(serviceBlock(named: "seed"))
        let line = try #require(block.firstMatch(of: /\n    command: (\[.*\])\n/), "seed has no one-line command")
        let command = try JSONDecoder().decode([String].self, from: Data(line.1.utf8))
        try #require(command.count > 2 && command[0] == "ingester" && command[1] == "publish", "\(command)")
        return try command.dropFirst(2).map { path in
            try #require(path.hasPrefix("/data/"), "\(path) is not under /data")
            return String(path.dropFirst(1))
        }
    }

    /// scripts/demo publishes the story in this order (`data/seed/*` expanded as the shell sorts it).
    func demoFiles() throws -> [String] {
        let demo = try String(contentsOf: packageRoot.appendingPathComponent("scripts/demo"), encoding: .utf8)
        let match = try #require(demo.firstMatch(of: /"\$bin\/ingester" publish ([^>\n]+) >&2/))
        return try match.1.split(separator: " ").flatMap { word -> [String] in
            guard word.hasSuffix("/*") else { return [String(word)] }
            let folder = String(word.dropLast(2))
            let names = try FileManager.default.contentsOfDirectory(
                atPath: packageRoot.appendingPathComponent(folder).path)
            return names.filter { !$0.hasPrefix(".") }.sorted().map { "\(folder)/\($0)" }
        }
    }

    @Test func demoProfilePublishesTheSameFilesInTheSameOrderAsScriptsDemo() throws {
        #expect(try seedFiles() == demoFiles())
    }

    /// Rounds are taken in arrival order and an older one only joins the history: for the demo's valuation changes
    /// to appear, each company's rounds must arrive oldest first.
    @Test func demoProfilePublishesEachCompanysRoundsOldestFirst() throws {
        struct Round: Decodable {
            var company: String
            var announced_on: String
        }
        var newest: [String: (date: String, file: String)] = [:]
        var rounds = 0
        for file in try seedFiles() {
            guard (file as NSString).lastPathComponent.hasPrefix("funding-rounds") else { continue }
            let text = try String(contentsOf: packageRoot.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                let round = try JSONDecoder().decode(Round.self, from: Data(line.utf8))
                if let seen = newest[round.company], seen.date > round.announced_on {
                    Issue.record("\(round.company): \(file) has \(round.announced_on) after \(seen.date) from \(seen.file)")
                } else {
                    newest[round.company] = (round.announced_on, file)
                }
                rounds += 1
            }
        }
        #expect(rounds > 0, "the seed service publishes no funding rounds")
        #expect(newest["Moonshot AI"]?.date == "2025-01-31")
    }

    /// The lines of a top-level service, up to the next one.
    private func serviceBlock(named service: String) -> String? {
        let lines = compose.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(of: "  \(service):") else { return nil }
        let end = lines[(start + 1)...].firstIndex { $0.hasPrefix("  ") && !$0.hasPrefix("   ") && $0.hasSuffix(":") }
        return lines[start..<(end ?? lines.endIndex)].joined(separator: "\n")
    }
}
