import ArgumentParser
import KakusaService

/// `ingester serve`: the long-running ingester with its HTTP API, health and metrics, until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the ingest API, /health and /metrics until SIGTERM or SIGINT."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let settings = try common.configuration(for: .ingester)
        let logger = ServiceBootstrap.bootstrap(settings)
        try await buildApplication(configuration: settings, logger: logger).run()
    }
}
