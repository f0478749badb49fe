import ArgumentParser
import KakusaService

/// `aggregator`: derives valuation changes, country paper totals and market days from the ingested topics.
@main
struct AggregatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregator",
        abstract: "Derive valuation changes, country paper totals and market days from Kakusa topics.",
        version: BuildInfo.kakusaVersion,
        subcommands: [RunCommand.self],
        defaultSubcommand: RunCommand.self
    )
}
