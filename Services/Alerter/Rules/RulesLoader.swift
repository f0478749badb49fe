import Foundation
import KakusaEvents
import Yams

/// Reads a rules file through Yams' node API, so that every refusal names the line and column of the culprit.
struct RulesLoader {
    /// Shown in errors (the path as given).
    var file: String

    /// The topics a rule may watch: the contract topics that carry records (not alerts or dead letters).
    static let watchableTopics: [TopicKind] = [
        .fundingRounds, .paperCounts, .stockMoves, .valuationChanges, .countryPaperTotals, .marketDays,
    ]

    static func load(path: String) throws(RulesFileError) -> RuleSet {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw RulesFileError(
                code: .unreadable, file: path, line: 1, column: 1, reason: "cannot read the rules file (\(error))")
        }
        return try RulesLoader(file: path).parse(text)
    }

    func parse(_ yaml: String) throws(RulesFileError) -> RuleSet {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw syntaxError(error)
        } catch {
            throw RulesFileError(code: .syntax, file: file, line: 1, column: 1, reason: "YAML: \(error)")
        }
        guard let root else { throw fail(nil, .missingField, "the file is empty; expected `rules:`") }
        let top = try mapping(root, "the top level", allowed: ["rules", "sinks"])
        guard let rulesNode = top["rules"] else { throw fail(root, .missingField, "missing `rules:`") }
        guard let ruleNodes = rulesNode.sequence else {
            throw fail(rulesNode, .wrongType, "`rules` must be a list of rules")
        }
        var rules: [Rule] = []
        var names: [String: Int] = [:]
        for node in ruleNodes {
            let rule = try parseRule(node)
            if let first = names[rule.name] {
                throw fail(
                    top.keyNode(node, "name") ?? node, .duplicateRule,
                    "duplicate rule name \"\(rule.name)\" (first at line \(first))")
            }
            names[rule.name] = node.mark?.line ?? 1
            rules.append(rule)
        }
        if rules.isEmpty { throw fail(rulesNode, .missingField, "`rules` must list at least one rule") }
        var sinks: [SinkConfiguration] = []
        if let sinksNode = top["sinks"] {
            guard let sinkNodes = sinksNode.sequence else {
                throw fail(sinksNode, .wrongType, "`sinks` must be a list")
            }
            for node in sinkNodes { sinks.append(try parseSink(node)) }
        }
        if sinks.isEmpty { sinks = [.log] }
        return RuleSet(rules: rules, sinks: sinks)
    }

    // MARK: rules

    private func parseRule(_ node: Node) throws(RulesFileError) -> Rule {
        let fields = try mapping(
            node, "a rule", allowed: ["name", "topic", "where", "when", "severity", "cooldown", "message"])
        let name = try string(fields.required("name", in: node, self), "name")
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
        else {
            throw fail(fields["name"], .invalidValue, "rule name \"\(name)\" must be letters, digits, '-', '_' or '.'")
        }
        let topicNode = try fields.required("topic", in: node, self)
        let topicName = try string(topicNode, "topic")
        guard let topic = Topics.unprefixed(topicName), Self.watchableTopics.contains(topic) else {
            let known = Self.watchableTopics.map(\.rawValue).joined(separator: ", ")
            throw fail(topicNode, .unknownTopic, "unknown topic \"\(topicName)\" (one of: \(known); no prefix)")
        }
        var filters: [(path: String, value: JSONValue)] = []
        if let whereNode = fields["where"] {
            guard let map = whereNode.mapping else {
                throw fail(whereNode, .wrongType, "`where` must be a map of field: value")
            }
            for (key, value) in map {
                let path = try string(key, "a `where` field")
                filters.append((path, try scalar(value, "where.\(path)")))
            }
        }
        let condition = try parseCondition(try fields.required("when", in: node, self))
        let severityNode = try fields.required("severity", in: node, self)
        let severityName = try string(severityNode, "severity")
        guard let severity = Alert.Severity(rawValue: severityName) else {
            throw fail(
                severityNode, .invalidValue, "severity must be info, warning or critical, got \"\(severityName)\"")
        }
        var cooldown: Int?
        if let cooldownNode = fields["cooldown"] {
            let text = cooldownNode.scalar?.string ?? ""
            guard cooldownNode.scalar != nil, let seconds = RuleDuration.seconds(text) else {
                throw fail(
                    cooldownNode, .badDuration,
                    "bad duration \"\(text)\" for cooldown (a whole number and s, m, h or d: 90s, 15m, 24h)")
            }
            cooldown = seconds
        }
        var message: MessageTemplate?
        if let messageNode = fields["message"] {
            let text = try string(messageNode, "message")
            do throws(MessageTemplate.ParseError) {
                message = try MessageTemplate(parsing: text)
            } catch {
                throw fail(messageNode, .invalidValue, "message template: \(error.reason)")
            }
        }
        return Rule(
            name: name, topic: topic, filters: filters, condition: condition, severity: severity,
            cooldownSeconds: cooldown, message: message)
    }

    private func parseCondition(_ node: Node) throws(RulesFileError) -> Condition {
        let operators = Condition.Operator.allCases.map(\.rawValue)
        let fields = try mapping(node, "`when`", allowed: ["field"] + operators)
        let field = try string(fields.required("field", in: node, self), "when.field")
        guard !field.isEmpty else { throw fail(fields["field"], .invalidValue, "when.field must not be empty") }
        let given = fields.entries.filter { operators.contains($0.key) }
        guard given.count == 1, let (name, operandNode) = given.first.map({ ($0.key, $0.value) }),
            let op = Condition.Operator(rawValue: name)
        else {
            let culprit = given.count > 1 ? given[1].keyNode : node
            throw fail(
                culprit, given.isEmpty ? .missingField : .invalidValue,
                "`when` needs exactly one of \(operators.joined(separator: ", "))")
        }
        let operand = try scalar(operandNode, "when.\(name)")
        if op != .eq, operand.doubleValue == nil {
            throw fail(operandNode, .wrongType, "when.\(name) must be a number")
        }
        return Condition(field: field, op: op, operand: operand)
    }

    // MARK: sinks

    private func parseSink(_ node: Node) throws(RulesFileError) -> SinkConfiguration {
        guard let map = node.mapping else { throw fail(node, .wrongType, "a sink must be a map with `kind:`") }
        let kindNode = try Fields(map: map).required("kind", in: node, self)
        switch try string(kindNode, "kind") {
        case "log":
            _ = try mapping(node, "a log sink", allowed: ["kind"])
            return .log
        case "stdout":
            _ = try mapping(node, "a stdout sink", allowed: ["kind"])
            return .stdout
        case "webhook":
            let fields = try mapping(
                node, "a webhook sink", allowed: ["kind", "url", "secret_env", "max_attempts", "timeout"])
            let urlNode = try fields.required("url", in: node, self)
            let url = try string(urlNode, "url")
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil
            else { throw fail(urlNode, .invalidValue, "url must be an http(s) URL, got \"\(url)\"") }
            let secretEnv = try string(fields.required("secret_env", in: node, self), "secret_env")
            var webhook = WebhookConfiguration(url: url, secretEnv: secretEnv)
            if let attempts = fields["max_attempts"] {
                guard let value = attempts.int, value >= 1 else {
                    throw fail(attempts, .wrongType, "max_attempts must be a whole number ≥ 1")
                }
                webhook.maxAttempts = value
            }
            if let timeout = fields["timeout"] {
                guard let seconds = RuleDuration.seconds(timeout.scalar?.string ?? "") else {
                    throw fail(timeout, .badDuration, "bad duration \"\(timeout.scalar?.string ?? "")\" for timeout")
                }
                webhook.timeoutSeconds = seconds
            }
            return .webhook(webhook)
        case let other:
            throw fail(kindNode, .invalidValue, "unknown sink kind \"\(other)\" (webhook, log or stdout)")
        }
    }

    // MARK: node helpers

    struct Fields {
        var entries: [(key: String, keyNode: Node, value: Node)] = []

        init(map: Node.Mapping) {
            for (key, value) in map { entries.append((key.scalar?.string ?? "", key, value)) }
        }

        subscript(_ key: String) -> Node? { entries.first { $0.key == key }?.value }

        func keyNode(_ parent: Node, _ key: String) -> Node? {
            parent.mapping.flatMap { Fields(map: $0).entries.first { $0.key == key }?.value }
        }

        func required(_ key: String, in parent: Node, _ loader: RulesLoader) throws(RulesFileError) -> Node {
            guard let node = self[key] else { throw loader.fail(parent, .missingField, "missing field `\(key)`") }
            return node
        }
    }

    private func mapping(_ node: Node, _ what: String, allowed: [String]) throws(RulesFileError) -> Fields {
        guard let map = node.mapping else { throw fail(node, .wrongType, "\(what) must be a map") }
        let fields = Fields(map: map)
        for entry in fields.entries where !allowed.contains(entry.key) {
            throw fail(
                entry.keyNode, .unknownKey,
                "unknown key `\(entry.key)` in \(what) (allowed: \(allowed.joined(separator: ", ")))")
        }
        return fields
    }

    private func string(_ node: Node, _ what: String) throws(RulesFileError) -> String {
        guard let scalar = node.scalar, node.tag == Tag(.str) else {
            throw fail(node, .wrongType, "`\(what)` must be a string")
        }
        return scalar.string
    }

    private func scalar(_ node: Node, _ what: String) throws(RulesFileError) -> JSONValue {
        guard node.scalar != nil else { throw fail(node, .wrongType, "`\(what)` must be a single value") }
        if node.null != nil { return .null }
        if let bool = node.bool { return .bool(bool) }
        if let int = node.int { return .number(Double(int)) }
        if let float = node.float { return .number(float) }
        return .string(node.string ?? "")
    }

    func fail(_ node: Node?, _ code: RulesFileError.Code, _ reason: String) -> RulesFileError {
        let mark = node?.mark
        return RulesFileError(
            code: code, file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, reason: reason)
    }

    private func syntaxError(_ error: YamlError) -> RulesFileError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = context.map { " (\($0.text))" } ?? ""
            return RulesFileError(
                code: .syntax, file: file, line: mark.line, column: mark.column, reason: "YAML: \(problem)\(detail)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return RulesFileError(
                code: .syntax, file: file, line: context.mark.line, column: context.mark.column,
                reason: "duplicate key(s) \(duplicates.sorted().joined(separator: ", ")) in one map")
        default:
            return RulesFileError(code: .syntax, file: file, line: 1, column: 1, reason: "YAML: \(error)")
        }
    }
}
