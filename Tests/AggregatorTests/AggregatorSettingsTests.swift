import KakusaTestSupport
import KakusaService
import Testing

@testable import Aggregator

@Suite struct AggregatorSettingsTests {
    func settings(_ environment: [String: String]) throws -> AggregatorSettings {
        try AggregatorSettings(configuration: ServiceConfiguration.resolve(service: .aggregator, environment: environment))
    }

    @Test func aTransactionTakesFiftyThousandRecordsAtMostUnlessConfigured() throws {
        #expect(try settings([:]).maxBatchSize == 50_000)
        #expect(try settings(["KAKUSA_AGGREGATOR_BATCH": "500"]).maxBatchSize == 500)
    }

    @Test(arguments: ["0", "-3", "many", "1.5"])
    func aBatchSizeThatIsNoPositiveWholeNumberIsAnErrorNamingTheKey(value: String) throws {
        let error = #expect(throws: ConfigurationError.self) {
            try settings(["KAKUSA_AGGREGATOR_BATCH": value])
        }
        #expect(error?.key == .aggregatorBatch)
        #expect("\(error.map { "\($0)" } ?? "")".contains("KAKUSA_AGGREGATOR_BATCH"))
    }
}
