import ArgumentParser
import KakusaKafka
import Logging
import Testing

@testable import KakusaService

@Suite("Configuration: flag > environment > default")
struct ServiceConfigurationTests {
    @Test func defaultsWhenNothingIsGiven() throws {
        let configuration = try ServiceConfiguration.resolve(service: .aggregator, environment: [:])
        #expect(configuration.kafka.bootstrapServers == KafkaConfiguration.defaultBootstrapServers)
        #expect(configuration.httpHost == "0.0.0.0")
        #expect(configuration.httpPort == 8082)
        #expect(configuration.topicPrefix == "kakusa.")
        #expect(configuration.logLevel == .info)
        #expect(configuration.logFormat == .text)
        #expect(configuration.shutdownTimeout == .seconds(8))
        #expect(configuration.value(.fxRates) == "JPY=155,CNY=7.25,EUR=0.92,GBP=0.79,USD=1")
        #expect(configuration.value(.aggregatorGroup) == "kakusa-aggregator")
        #expect(configuration.value(.rules) == nil)
    }

    @Test(arguments: ServiceName.allCases)
    func eachServiceHasItsOwnDefaultPort(service: ServiceName) throws {
        let configuration = try ServiceConfiguration.resolve(service: service, environment: [:])
        #expect(configuration.httpPort == ["ingester": 8081, "aggregator": 8082, "alerter": 8083][service.rawValue])
    }

    @Test func environmentWinsOverDefaults() throws {
        let environment = [
            "KAFKA_BROKERS": "kafka:29092",
            "KAKUSA_HTTP_HOST": "127.0.0.1",
            "KAKUSA_HTTP_PORT": "9100",
            "KAKUSA_TOPIC_PREFIX": "test.",
            "KAKUSA_LOG_LEVEL": "DEBUG",
            "KAKUSA_LOG_FORMAT": "json",
            "KAKUSA_SHUTDOWN_TIMEOUT": "2.5",
            "KAKUSA_FX_RATES": "USD=1",
        ]
        let configuration = try ServiceConfiguration.resolve(service: .ingester, environment: environment)
        #expect(configuration.kafka.bootstrapServers == "kafka:29092")
        #expect(configuration.httpHost == "127.0.0.1")
        #expect(configuration.httpPort == 9100)
        #expect(configuration.topicPrefix == "test.")
        #expect(configuration.logLevel == .debug)
        #expect(configuration.logFormat == .json)
        #expect(configuration.shutdownTimeout == .milliseconds(2500))
        #expect(configuration.value(.fxRates) == "USD=1")
    }

    @Test func flagsWinOverEnvironment() throws {
        let environment = [
            "KAFKA_BROKERS": "kafka:29092",
            "KAKUSA_HTTP_HOST": "127.0.0.1",
            "KAKUSA_HTTP_PORT": "9100",
            "KAKUSA_TOPIC_PREFIX": "test.",
            "KAKUSA_LOG_LEVEL": "debug",
        ]
        let options = try CommonOptions.parse([
            "--brokers", "a:1,b:2", "--http-host", "::1", "--http-port", "0", "--topic-prefix", "p.",
            "--log-level", "warning",
        ])
        let configuration = try options.configuration(for: .alerter, environment: environment)
        #expect(configuration.kafka.bootstrapServers == "a:1,b:2")
        #expect(configuration.httpHost == "::1")
        #expect(configuration.httpPort == 0)
        #expect(configuration.topicPrefix == "p.")
        #expect(configuration.logLevel == .warning)
    }

    @Test func flagsOnlyOverrideTheKeysTheyName() throws {
        let options = try CommonOptions.parse(["--http-port", "7000"])
        let configuration = try options.configuration(for: .alerter, environment: ["KAKUSA_TOPIC_PREFIX": "env."])
        #expect(configuration.httpPort == 7000)
        #expect(configuration.topicPrefix == "env.")
        #expect(configuration.httpHost == "0.0.0.0")
    }

    @Test func emptyEnvironmentValueCountsAsUnset() throws {
        let environment = ["KAFKA_BROKERS": "", "KAKUSA_HTTP_PORT": "", "KAKUSA_ALERTER_GROUP": ""]
        let configuration = try ServiceConfiguration.resolve(service: .alerter, environment: environment)
        #expect(configuration.kafka.bootstrapServers == KafkaConfiguration.defaultBootstrapServers)
        #expect(configuration.httpPort == 8083)
        #expect(configuration.value(.alerterGroup) == "kakusa-alerter")
    }

    @Test func kafkaPassThroughPropertiesAreKept() throws {
        let environment = ["KAFKA_SECURITY_PROTOCOL": "SASL_SSL"]
        let configuration = try ServiceConfiguration.resolve(service: .ingester, environment: environment)
        #expect(configuration.kafka.properties["security.protocol"] == "SASL_SSL")
    }

    @Test(arguments: [
        ("127.0.0.1:41234", "10"), ("localhost:9092,127.0.0.2:9093", "10"), ("[::1]:9092", "10"),
        ("PLAINTEXT://127.0.0.1:9092", "10"), ("kafka:9092", nil), ("127.0.0.1:9092,broker2:9092", nil),
        ("10.0.0.127:9092", nil),
    ])
    func consumersOnALoopbackBrokerWaitBrieflyForRecords(brokers: String, expected: String?) throws {
        let configuration = try ServiceConfiguration.resolve(
            service: .alerter, environment: ["KAFKA_BROKERS": brokers])
        #expect(configuration.kafka.properties["fetch.wait.max.ms"] == expected)
        let chosen = try ServiceConfiguration.resolve(
            service: .alerter, environment: ["KAFKA_BROKERS": brokers, "KAFKA_FETCH_WAIT_MAX_MS": "100"])
        #expect(chosen.kafka.properties["fetch.wait.max.ms"] == "100")
    }

    @Test func invalidValuesNameTheKeyAndWhatIsExpected() throws {
        let error = #expect(throws: ConfigurationError.self) {
            try ServiceConfiguration.resolve(service: .ingester, environment: ["KAKUSA_HTTP_PORT": "80000"])
        }
        #expect(error?.code == .invalidValue)
        #expect(error?.key == .httpPort)
        #expect(error?.description.contains("KAKUSA_HTTP_PORT") == true)
        #expect(throws: ConfigurationError.self) {
            try ServiceConfiguration.resolve(service: .ingester, environment: [:], logLevel: "loud")
        }
        #expect(throws: ConfigurationError.self) {
            try ServiceConfiguration.resolve(service: .ingester, environment: ["KAKUSA_LOG_FORMAT": "xml"])
        }
    }

    @Test func serviceSpecificKeysParseThroughTheSamePrecedence() throws {
        let configuration = try ServiceConfiguration.resolve(
            service: .ingester,
            environment: ["KAKUSA_MAX_BODY_BYTES": "1024"]
        )
        #expect(try configuration.value(.maxBodyBytes, expected: "bytes") { Int($0) } == 1024)
        #expect(try configuration.value(.maxBodyBytes, flag: "2048", expected: "bytes") { Int($0) } == 2048)
        let missing = #expect(throws: ConfigurationError.self) {
            try configuration.value(.rules, expected: "a path") { $0 }
        }
        #expect(missing?.code == .missingValue)
    }

    @Test func commonOptionFlagsAreTheOnesInTheTable() {
        let help = CommonOptions.helpMessage()
        for key in ConfigurationKey.allCases {
            guard let flag = key.flag else { continue }
            #expect(help.contains("--\(flag)"), "\(key) flag --\(flag) missing from CommonOptions")
            #expect(help.contains(key.environmentName))
        }
    }
}
