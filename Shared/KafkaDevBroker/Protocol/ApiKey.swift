/// The Kafka APIs this broker serves, with the versions it advertises and where each turns flexible.
///
/// Minimums are 0 because librdkafka 2.0.2 enables a feature only when the advertised range holds the single
/// version its feature map pins (often 0); maximums are what Kakusa's clients send and this broker implements.
public enum ApiKey: Int16, CaseIterable, Sendable {
    case produce = 0
    case fetch = 1
    case listOffsets = 2
    case metadata = 3
    case offsetCommit = 8
    case offsetFetch = 9
    case findCoordinator = 10
    case joinGroup = 11
    case heartbeat = 12
    case leaveGroup = 13
    case syncGroup = 14
    case describeGroups = 15
    case listGroups = 16
    case saslHandshake = 17
    case apiVersions = 18
    case createTopics = 19
    case deleteTopics = 20
    case initProducerId = 22
    case addPartitionsToTxn = 24
    case addOffsetsToTxn = 25
    case endTxn = 26
    case txnOffsetCommit = 28
    case describeConfigs = 32
    case saslAuthenticate = 36

    public var versions: ClosedRange<Int16> {
        switch self {
        case .produce: 0...7
        case .fetch: 0...11
        case .listOffsets: 0...3
        case .metadata: 0...4
        case .offsetCommit: 0...3
        case .offsetFetch: 0...7
        case .findCoordinator: 0...2
        case .joinGroup: 0...5
        case .heartbeat: 0...3
        case .leaveGroup: 0...1
        case .syncGroup: 0...3
        case .describeGroups: 0...2
        case .listGroups: 0...2
        case .saslHandshake: 0...1
        case .apiVersions: 0...3
        case .createTopics: 0...4
        case .deleteTopics: 0...3
        case .initProducerId: 0...4
        case .addPartitionsToTxn: 0...0
        case .addOffsetsToTxn: 0...0
        case .endTxn: 0...1
        case .txnOffsetCommit: 0...3
        case .describeConfigs: 0...1
        case .saslAuthenticate: 0...1
        }
    }

    /// The first flexible version (compact encoding, tagged fields, request header v2) in Kafka's definitions.
    var firstFlexibleVersion: Int16 {
        switch self {
        case .produce: 9
        case .fetch: 12
        case .listOffsets: 6
        case .metadata: 9
        case .offsetCommit: 8
        case .offsetFetch: 6
        case .findCoordinator: 3
        case .joinGroup: 6
        case .heartbeat: 4
        case .leaveGroup: 4
        case .syncGroup: 4
        case .describeGroups: 5
        case .listGroups: 3
        case .saslHandshake: .max
        case .apiVersions: 3
        case .createTopics: 5
        case .deleteTopics: 4
        case .initProducerId: 2
        case .addPartitionsToTxn: 3
        case .addOffsetsToTxn: 3
        case .endTxn: 3
        case .txnOffsetCommit: 3
        case .describeConfigs: 4
        case .saslAuthenticate: 2
        }
    }

    func isFlexible(_ version: Int16) -> Bool { version >= firstFlexibleVersion }

    /// A name for logs and the `errors API CODE COUNT` control.
    public var name: String { String(describing: self) }
}
