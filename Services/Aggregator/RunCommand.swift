import ArgumentParser
import KakusaService

/// `aggregator run`: consume, derive, publish, and serve the query API, health and metrics until SIGTERM or SIGINT.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the aggregator and serve /health and /metrics until SIGTERM or SIGINT."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let settings = try common.configuration(for: .aggregator)
        let logger = ServiceBootstrap.bootstrap(settings)
        try await buildApplication(configuration: settings, logger: logger).run()
    }
}
