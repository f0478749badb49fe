import KakusaTestSupport
import Foundation
import KakusaEvents
import Testing

@testable import Alerter

@Suite struct RulesLoaderTests {
    func refusal(_ yaml: String) -> RulesFileError? {
        do {
            _ = try RulesLoader(file: "rules.yaml").parse(yaml)
            return nil
        } catch {
            return error
        }
    }

    let good = """
        rules:
          - name: jump
            topic: valuation-changes
            when: { field: change_pct, abs_gte: 25 }
            severity: critical
            cooldown: 24h
        sinks:
          - kind: webhook
            url: http://127.0.0.1:9000/hook
            secret_env: KAKUSA_WEBHOOK_SECRET
            max_attempts: 3
            timeout: 5s
          - kind: stdout
        """

    @Test func aGoodFileLoads() throws {
        let set = try RulesLoader(file: "rules.yaml").parse(good)
        #expect(set.rules.count == 1)
        #expect(set.rules[0].cooldownSeconds == 86400)
        #expect(set.rules[0].condition == Condition(field: "change_pct", op: .absGte, operand: 25))
        #expect(
            set.sinks == [
                .webhook(
                    WebhookConfiguration(
                        url: "http://127.0.0.1:9000/hook", secretEnv: "KAKUSA_WEBHOOK_SECRET", maxAttempts: 3,
                        timeoutSeconds: 5)),
                .stdout,
            ])
    }

    @Test func theShippedRulesFileLoads() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../deploy/rules.yaml"
        ).standardizedFileURL.path
        let set = try RulesLoader.load(path: path)
        #expect(set.rules.map(\.name) == ["valuation-jump", "new-unicorn", "chip-selloff", "paper-gap-japan"])
    }

    @Test func unknownKeyIsRefusedAtTheKey() {
        let error = refusal(
            good.replacingOccurrences(of: "    severity: critical", with: "    severity: critical\n    sevrity: x"))
        #expect(error?.code == .unknownKey)
        #expect(error?.line == 6)
        #expect(error?.column == 5)
        #expect(error?.description.hasPrefix("rules.yaml:6:5: unknown key `sevrity`") == true)
    }

    @Test func unknownTopicIsRefusedAtTheValue() {
        let error = refusal(good.replacingOccurrences(of: "topic: valuation-changes", with: "topic: kakusa.alerts"))
        #expect(error?.code == .unknownTopic)
        #expect(error?.line == 3)
        #expect(error?.column == 12)
    }

    @Test func badDurationIsRefusedAtTheValue() {
        let error = refusal(good.replacingOccurrences(of: "cooldown: 24h", with: "cooldown: 1 day"))
        #expect(error?.code == .badDuration)
        #expect(error?.line == 6)
        #expect(error?.column == 15)
    }

    @Test func wrongTypeIsRefusedAtTheValue() {
        let error = refusal(good.replacingOccurrences(of: "abs_gte: 25", with: "abs_gte: lots"))
        #expect(error?.code == .wrongType)
        #expect(error?.line == 4)
        #expect(error?.column == 41)
    }

    @Test func duplicateRuleNameIsRefusedAtTheSecondName() {
        let yaml = """
            rules:
              - name: jump
                topic: stock-moves
                when: { field: change_pct, lte: -10 }
                severity: warning
              - name: jump
                topic: stock-moves
                when: { field: change_pct, lte: -20 }
                severity: critical
            """
        let error = refusal(yaml)
        #expect(error?.code == .duplicateRule)
        #expect(error?.line == 6)
        #expect(error?.column == 11)
    }

    @Test func missingFieldIsRefusedAtTheRule() {
        let error = refusal(good.replacingOccurrences(of: "    severity: critical\n", with: ""))
        #expect(error?.code == .missingField)
        #expect(error?.reason.contains("severity") == true)
        #expect(error?.line == 2)
        #expect(error?.column == 5)
    }

    @Test func yamlSyntaxErrorIsRefusedWhereTheParserStopped() {
        let error = refusal("rules:\n  - name: [unclosed\n    topic: x\n")
        #expect(error?.code == .syntax)
        #expect(error?.line == 4 || error?.line == 3)
    }

    @Test func twoOperatorsInOneWhenAreRefused() {
        let error = refusal(good.replacingOccurrences(of: "abs_gte: 25", with: "abs_gte: 25, gte: 3"))
        #expect(error?.code == .invalidValue)
        #expect(error?.line == 4)
    }
}
