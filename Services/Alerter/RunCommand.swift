import ArgumentParser
import KakusaService
import Logging

/// `alerter run`: consume the derived topics, fire rules, deliver alerts, serve health and metrics until SIGTERM.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the alerter and serve /health, /metrics and /v1/alerts until SIGTERM or SIGINT."
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .customLong("rules"), help: ArgumentHelp(ConfigurationKey.rules.help))
    var rules: String?

    func run() async throws {
        let settings = try common.configuration(for: .alerter)
        let logger = ServiceBootstrap.bootstrap(settings)
        guard let path = settings.value(.rules, flag: rules), !path.isEmpty else {
            throw ValidationError("no rules file: pass --rules FILE or set KAKUSA_RULES")
        }
        let ruleSet: RuleSet
        do throws(RulesFileError) {
            ruleSet = try RulesLoader.load(path: path)
        } catch {
            logger.critical("rules file refused", metadata: [LogKey.path: "\(path)", LogKey.reason: "\(error)"])
            FileHandleStderr.write(error.description + "\n")
            throw ExitCode(2)
        }
        logger.info("rules loaded", metadata: [LogKey.path: "\(path)", LogKey.count: "\(ruleSet.rules.count)"])
        try await buildApplication(configuration: settings, rules: ruleSet, logger: logger).run()
    }
}
