import ArgumentParser
import KakusaService

/// `alerter run`: consume the derived topics, fire rules, deliver alerts, serve health and metrics until SIGTERM.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the alerter and serve /health and /metrics until SIGTERM or SIGINT."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let settings = try common.configuration(for: .alerter)
        let logger = ServiceBootstrap.bootstrap(settings)
        try await buildApplication(configuration: settings, logger: logger).run()
    }
}
