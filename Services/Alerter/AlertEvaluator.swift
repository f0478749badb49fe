import KakusaEvents

/// Pure: a record, the rules and the state in → the alerts to publish and the state they leave behind.
///
/// A rule fires on a matching record unless the same rule already fired for this record id (re-delivery,
/// re-ingestion) or fired for the same subject less than `cooldown` ago in record time (either side: a late,
/// older record inside the window is quiet too).
struct AlertEvaluator: Sendable {
    var rules: RuleSet

    struct Outcome: Sendable, Equatable {
        var alerts: [Alert] = []
        /// Keys (`rule:subject`) whose state changed.
        var changedKeys: [String] = []
        /// Rules that matched but stayed quiet, with why (`duplicate` or `cooldown`).
        var suppressed: [(rule: String, reason: String)] = []

        static func == (lhs: Outcome, rhs: Outcome) -> Bool {
            lhs.alerts == rhs.alerts && lhs.changedKeys == rhs.changedKeys
                && lhs.suppressed.map(\.rule) == rhs.suppressed.map(\.rule)
        }
    }

    /// Evaluates `record` (read from `topicName`) and updates `state` in place.
    func evaluate(_ record: ObservedRecord, topicName: String, state: inout AlerterState) -> Outcome {
        var outcome = Outcome()
        for rule in rules.rules(for: record.topic) where rule.matches(record.json) {
            let key = AlerterState.subjectKey(rule: rule.name, subject: record.subject)
            let alertID = AlertID.make(rule: rule.name, subject: record.subject, recordID: record.id)
            let previous = state.subjects[key]
            if let previous, previous.recentAlertIDs.contains(alertID) {
                outcome.suppressed.append((rule.name, "duplicate"))
                continue
            }
            if let previous, let cooldown = rule.cooldownSeconds,
                abs(record.time - previous.lastFiredTime) < Double(cooldown)
            {
                outcome.suppressed.append((rule.name, "cooldown"))
                continue
            }
            let message =
                rule.message?.render(
                    record: record.json,
                    builtins: [
                        "rule": rule.name, "subject": record.subject, "severity": rule.severity.rawValue,
                        "direction": Format.direction(record.json.value(at: "change_pct")?.doubleValue),
                    ]) ?? DefaultMessages.message(for: record, rule: rule)
            outcome.alerts.append(
                Alert(
                    id: alertID, rule: rule.name, severity: rule.severity, subject: record.subject, message: message,
                    at: record.timeText, topic: topicName, record: record.json, recordID: record.id))
            var ids = (previous?.recentAlertIDs ?? []) + [alertID]
            if ids.count > AlerterState.recentIDLimit { ids.removeFirst(ids.count - AlerterState.recentIDLimit) }
            // A late record never moves the cooldown's start backwards.
            let newest = max(previous?.lastFiredTime ?? record.time, record.time)
            state.subjects[key] = AlerterState.SubjectState(
                lastFiredTime: newest,
                lastFiredAt: newest == record.time ? record.timeText : previous?.lastFiredAt ?? record.timeText,
                recentAlertIDs: ids)
            outcome.changedKeys.append(key)
        }
        return outcome
    }
}
