import KakusaEvents

/// A loaded, valid rules file.
struct RuleSet: Sendable, Equatable {
    var rules: [Rule]
    var sinks: [SinkConfiguration]

    /// The topics the rules watch, each once, in the order first named.
    var watchedTopics: [TopicKind] {
        var seen: [TopicKind] = []
        for rule in rules where !seen.contains(rule.topic) { seen.append(rule.topic) }
        return seen
    }

    var webhooks: [WebhookConfiguration] {
        sinks.compactMap { if case .webhook(let w) = $0 { w } else { nil } }
    }

    func rules(for topic: TopicKind) -> [Rule] { rules.filter { $0.topic == topic } }
}
