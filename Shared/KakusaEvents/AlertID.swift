/// The id of an alert: one per rule, subject and firing record, so a replayed record fires no second alert.
public enum AlertID {
    /// Covers, in order: `rule`, `subject`, `record_id` (see `RecordID` for the canonical form; tag `alert.v1`).
    public static func make(rule: String, subject: String, recordID: String) -> String {
        RecordID.derive(
            type: "alert.v1",
            fields: [
                "rule": RecordID.canonical(rule),
                "subject": RecordID.canonical(subject),
                "record_id": RecordID.canonical(recordID),
            ])
    }
}
