import ArgumentParser
import KakusaService

/// `alerter`: evaluates alert rules on the derived topics and sends alerts to Kafka, the log and webhooks.
@main
struct AlerterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerter",
        abstract: "Evaluate Kakusa alert rules and deliver alerts to Kafka, the log and webhooks.",
        version: BuildInfo.kakusaVersion,
        subcommands: [RunCommand.self, CheckCommand.self],
        defaultSubcommand: RunCommand.self
    )
}
