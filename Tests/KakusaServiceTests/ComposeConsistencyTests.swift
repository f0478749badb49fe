import Foundation
import KakusaEvents
import KakusaService
import Testing

/// compose.yaml cannot drift from the code: its topic-init creates every topic the services use (compacted where
/// the code says so), each service gets its default port, and every KAKUSA_ variable it sets is a known key.
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

    /// The lines of a top-level service, up to the next one.
    private func serviceBlock(named service: String) -> String? {
        let lines = compose.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(of: "  \(service):") else { return nil }
        let end = lines[(start + 1)...].firstIndex { $0.hasPrefix("  ") && !$0.hasPrefix("   ") && $0.hasSuffix(":") }
        return lines[start..<(end ?? lines.endIndex)].joined(separator: "\n")
    }
}
