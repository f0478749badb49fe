import ArgumentParser
import KakusaService

/// `ingester`: validates funding rounds, paper counts and stock moves and publishes them to their Kafka topics.
@main
struct IngesterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingester",
        abstract: "Validate Kakusa input records and publish them to Kafka.",
        version: BuildInfo.kakusaVersion,
        subcommands: [ServeCommand.self, PublishCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
