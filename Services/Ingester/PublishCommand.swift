import ArgumentParser
import KakusaEvents
import KakusaService

extension InputKind: ExpressibleByArgument {}

/// `ingester publish`: validates records from files or stdin and publishes them; bad ones go to dead letters.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish records from NDJSON, JSON or CSV files (or - for stdin) to their Kafka topics.",
        discussion: """
            Exit status: 0 when every record was published, 1 when some were rejected (sent to the \
            dead-letters topic, one line each on stderr), 2 on a usage error or when Kafka is unreachable.
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(help: "What the files hold; by default taken from each file's name (funding…, paper…, stock…).")
    var kind: InputKind?

    @Argument(help: "Input files (.ndjson/.jsonl, .json array, .csv), or - for stdin.")
    var files: [String] = []

    func run() async throws {
        let settings = try common.configuration(for: .ingester)
        let logger = ServiceBootstrap.bootstrap(settings)
        let run = PublishRun(
            files: files, kind: kind, kafka: settings.kafka, topics: Topics(prefix: settings.topicPrefix),
            diagnostics: .standardError, logger: logger)
        let status = await run.run()
        if status != .published { throw ExitCode(status.rawValue) }
    }
}
