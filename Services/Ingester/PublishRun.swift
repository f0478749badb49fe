import Foundation
import KakusaEvents
import KakusaKafka
import KakusaService
import Logging

/// One `ingester publish` invocation, apart from argument parsing so tests can run it in-process.
struct PublishRun {
    /// Exit codes: everything published, some records rejected, usage or Kafka failure.
    enum Status: Int32 {
        case published = 0
        case rejected = 1
        case failed = 2
    }

    var files: [String]
    var kind: InputKind?
    var kafka: KafkaConfiguration
    var topics: Topics
    var diagnostics: Diagnostics
    var logger: Logger
    /// How long a record may wait for its acknowledgement before the run fails.
    var messageTimeoutMilliseconds = 30_000

    func run() async -> Status {
        guard !files.isEmpty else {
            diagnostics.line("ingester publish: no input: name one or more files, or - for stdin")
            return .failed
        }
        var plan: [(path: String, kind: InputKind)] = []
        for file in files {
            guard let fileKind = kind ?? InputKind.fromFileName(file) else {
                let what =
                    file == "-" ? "stdin holds" : "\(file) holds: its name starts with none of funding, paper, stock"
                diagnostics.line(
                    "ingester publish: cannot tell which records \(what); "
                        + "give --kind funding-rounds|paper-counts|stock-moves")
                return .failed
            }
            plan.append((file, fileKind))
        }

        let producer: KafkaProducer
        do {
            producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(
                    kafka: kafka, clientID: "kakusa-ingester", lingerMilliseconds: 5, queueMaxMessages: 200_000,
                    messageTimeoutMilliseconds: messageTimeoutMilliseconds),
                logger: logger)
        } catch {
            diagnostics.line("ingester publish: cannot configure the Kafka producer: \(error)")
            return .failed
        }
        do {
            _ = try await producer.metadata(timeout: .seconds(5))
        } catch {
            diagnostics.line(
                "ingester publish: cannot reach Kafka at \(kafka.bootstrapServers): \(error); "
                    + "check --brokers or KAFKA_BROKERS")
            try? await producer.close(timeout: .seconds(1))
            return .failed
        }

        var totals: [(kind: InputKind, counts: FilePublisher.Counts)] = []
        let publisher = FilePublisher(producer: producer, topics: topics, diagnostics: diagnostics, logger: logger)
        var status = Status.published
        for (path, fileKind) in plan {
            do {
                let counts = try await publisher.publish(path: path, kind: fileKind)
                if let index = totals.firstIndex(where: { $0.kind == fileKind }) {
                    totals[index].counts.published += counts.published
                    totals[index].counts.rejected += counts.rejected
                    totals[index].counts.seconds += counts.seconds
                } else {
                    totals.append((fileKind, counts))
                }
            } catch let error as ReaderError {
                diagnostics.line("ingester publish: \(error)")
                status = .failed
                break
            } catch {
                diagnostics.line("ingester publish: \(path): publishing to Kafka failed: \(error)")
                status = .failed
                break
            }
        }
        do {
            try await producer.close(timeout: .seconds(30))
        } catch {
            diagnostics.line("ingester publish: flushing to Kafka failed: \(error)")
            status = .failed
        }
        for (fileKind, counts) in totals {
            diagnostics.line(Self.summary(kind: fileKind, counts))
        }
        if status == .published && totals.contains(where: { $0.counts.rejected > 0 }) { status = .rejected }
        return status
    }

    static func summary(kind: InputKind, _ counts: FilePublisher.Counts) -> String {
        "\(kind.rawValue): \(counts.published) published, \(counts.rejected) rejected (dead-lettered) in "
            + String(format: "%.1f", counts.seconds) + " s"
    }
}
