import Foundation
import KakusaEvents
import KakusaKafka
import KakusaService

/// What the aggregator needs from its configuration, parsed once at start.
struct AggregatorSettings: Sendable {
    var kafka: KafkaConfiguration
    var topics: Topics
    var rates: FXRates
    /// `KAKUSA_AGGREGATOR_GROUP`.
    var groupID: String
    /// `kakusa-aggregator-<KAKUSA_INSTANCE_ID or host name>`: stable across restarts of one instance, so a restart
    /// fences its predecessor's unfinished transaction.
    var transactionalID: String
    /// Kafka's session timeout for the group member; nil keeps librdkafka's (or `KAFKA_SESSION_TIMEOUT_MS`).
    var sessionTimeoutMilliseconds: Int?
    /// `KAKUSA_AGGREGATOR_BATCH`: records handed over per poll round, at most; one transaction each. Under load a
    /// transaction takes everything already fetched up to this, so its fixed cost (a few broker round trips, ~50 ms
    /// a transaction on the devbroker) is shared by many records: 50,000 against 20,000 took 6-9% off the aggregate
    /// benchmark, for ~100 MB more at peak. When fewer records are waiting a batch is what there is.
    var maxBatchSize = 50_000

    init(
        kafka: KafkaConfiguration, topics: Topics, rates: FXRates, groupID: String = "kakusa-aggregator",
        instanceID: String, sessionTimeoutMilliseconds: Int? = nil
    ) {
        self.kafka = kafka
        self.topics = topics
        self.rates = rates
        self.groupID = groupID
        self.transactionalID = "kakusa-aggregator-\(instanceID)"
        self.sessionTimeoutMilliseconds = sessionTimeoutMilliseconds
    }

    init(configuration: ServiceConfiguration) throws(ConfigurationError) {
        let rates = try configuration.value(.fxRates, expected: "CODE=rate[,CODE=rate] with positive rates") {
            FXRates(parsing: $0)
        }
        var topics = Topics.fromEnvironment(configuration.environment)
        topics.prefix = configuration.topicPrefix
        let instance = configuration.value(.instanceID) ?? ProcessInfo.processInfo.hostName
        self.init(
            kafka: configuration.kafka, topics: topics, rates: rates,
            groupID: configuration.value(.aggregatorGroup) ?? "kakusa-aggregator", instanceID: instance)
        maxBatchSize = try configuration.value(.aggregatorBatch, expected: "a whole number of records, at least 1") {
            Int($0).flatMap { $0 >= 1 ? $0 : nil }
        }
    }

    /// Every topic the aggregator writes, its state changelog aside.
    var outputTopics: [String] {
        [
            topics.valuationChanges, topics.countryPaperTotals, topics.marketDays, topics.deadLetters,
            topics.paperCountsByYear, topics.stockMovesByDate,
        ]
    }

    /// Every topic the group reads: the inputs and the repartition topics.
    var inputTopics: [String] {
        [topics.fundingRounds, topics.paperCounts, topics.stockMoves, topics.paperCountsByYear, topics.stockMovesByDate]
    }
}
