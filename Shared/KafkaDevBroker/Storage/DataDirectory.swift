import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The devbroker's data directory: its format marker, the topics and their configs (`topics.json`), each
/// partition's segment files (`logs/<topic>-<partition>/`), and the coordinators' state (`offsets.json`,
/// `transactions.json`), so that a devbroker restarted on it, even after a kill -9, serves what it acknowledged.
public final class DataDirectory: @unchecked Sendable {
    let path: String
    let logger: Logger
    private let journal: StateJournal
    /// Serialises the rewrites of `topics.json`.
    private let topicsLock = NIOLock()
    private var lockDescriptor: Int32 = -1

    static let topicsFile = "topics.json"
    static let offsetsFile = "offsets.json"
    static let transactionsFile = "transactions.json"

    struct TopicsFile: Codable {
        struct Entry: Codable {
            var name: String
            /// The topic id, hexadecimal.
            var id: String
            var partitions: Int
            var config: [String: String]
        }
        var topics: [Entry]
    }

    /// Opens `path` (created when missing), checks its format marker and takes its lock.
    init(path: String, logger: Logger) throws(DataDirectoryError) {
        self.path = path
        self.logger = logger
        self.journal = StateJournal(directory: path)
        let files = FileManager.default
        do {
            try files.createDirectory(atPath: path, withIntermediateDirectories: true)
            try files.createDirectory(atPath: "\(path)/logs", withIntermediateDirectories: true)
        } catch {
            throw DataDirectoryError(description: "the devbroker cannot create its data directory \(path): \(error)")
        }
        let marker = "\(path)/\(StorageFormat.fileName)"
        if let data = files.contents(atPath: marker) {
            let text = String(decoding: data, as: UTF8.self)
            guard let version = StorageFormat.version(in: text) else {
                throw DataDirectoryError(
                    description: """
                        the devbroker cannot read its data directory \(path): \(marker) names no format version \
                        (it holds \(text.prefix(80).debugDescription)); this devbroker reads format \
                        \(StorageFormat.version). Restore the file, or move the directory away to start empty.
                        """)
            }
            guard version == StorageFormat.version else {
                throw DataDirectoryError(
                    description: """
                        the devbroker cannot read its data directory \(path): it has format version \(version) \
                        (in \(marker)) and this devbroker reads format \(StorageFormat.version) only. Run the \
                        devbroker version that wrote it, or move the directory away (or delete it) to start empty.
                        """)
            }
        } else {
            let present = ((try? files.contentsOfDirectory(atPath: path)) ?? []).filter { $0 != "logs" && $0 != ".lock" }
            let logs = (try? files.contentsOfDirectory(atPath: "\(path)/logs")) ?? []
            guard present.isEmpty && logs.isEmpty else {
                throw DataDirectoryError(
                    description: """
                        the devbroker cannot use \(path) as its data directory: it is not empty (it holds \
                        \(present.sorted().prefix(5).joined(separator: ", "))) and has no \(StorageFormat.fileName) \
                        naming format \(StorageFormat.version). Give an empty or new directory, or the one a \
                        devbroker wrote.
                        """)
            }
            guard files.createFile(atPath: marker, contents: Data(StorageFormat.contents.utf8)) else {
                throw DataDirectoryError(description: "the devbroker cannot write \(marker)")
            }
        }
        // A POSIX record lock: a second devbroker process on the same directory is refused (one process may
        // open it again, as the tests do to play a restart).
        let fd = open("\(path)/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd >= 0 && lockf(fd, F_TLOCK, 0) != 0 {
            closeDescriptor(fd)
            throw DataDirectoryError(
                description: "the data directory \(path) is in use by another devbroker process (its .lock is held)")
        }
        lockDescriptor = fd
    }

    deinit { if lockDescriptor >= 0 { closeDescriptor(lockDescriptor) } }

    func partitionDirectory(_ topic: String, _ partition: Int) -> String { "\(path)/logs/\(topic)-\(partition)" }

    /// A new partition's storage: an empty folder (anything a crashed delete left there is removed first).
    func makeStorage(topic: String, partition: Int) -> PartitionStorage {
        let directory = partitionDirectory(topic, partition)
        try? FileManager.default.removeItem(atPath: directory)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            logger.error("storage: cannot create a partition folder", metadata: ["folder": "\(directory)", "error": "\(error)"])
        }
        return PartitionStorage(directory: directory, logger: logger)
    }

    // MARK: Topics

    /// Rewrites `topics.json` from the cluster's topics; called after each create and delete, before it is answered.
    func saveTopics(_ cluster: Cluster) {
        topicsLock.withLock {
            let entries = cluster.lock.withLock {
                cluster.topics.values.map {
                    TopicsFile.Entry(
                        name: $0.name, id: String($0.id, radix: 16), partitions: $0.partitions.count,
                        config: $0.config.given)
                }
            }
            do {
                try journal.save(Self.topicsFile) { TopicsFile(topics: entries.sorted { $0.name < $1.name }) }
            } catch {
                logger.error("storage: topics not saved", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Forgets a deleted topic: `topics.json` first, then its folders (a crash in between leaves folders that the
    /// next load removes).
    func topicDeleted(_ name: String, partitions: [PartitionLog], cluster: Cluster) {
        saveTopics(cluster)
        for log in partitions { log.storage?.removeFiles() }
    }

    // MARK: Coordinators

    /// Saves the committed offsets and the transactions, each when it changed since the last save. Called after
    /// every group or transaction request, before it is answered, and by the background timer; never under the
    /// cluster's lock (the coordinators' locks come first).
    func checkpointCoordinators(_ cluster: Cluster) {
        do {
            try journal.save(Self.offsetsFile) { cluster.groups.committedOffsetsSnapshot() }
            try journal.save(Self.transactionsFile) { cluster.transactions.snapshot() }
        } catch {
            logger.error("storage: coordinator state not saved", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Load

    /// Reads everything back into `cluster`: topics, each partition's batches (replayed through its log, which
    /// rebuilds producer state, open transactions and the aborted index), then committed offsets and
    /// transactions (open ones get their timeout timers on `loop`).
    func load(into cluster: Cluster, timersOn loop: any EventLoop) throws(DataDirectoryError) {
        let now = Clock.milliseconds()
        let file: TopicsFile?
        do { file = try journal.load(Self.topicsFile, as: TopicsFile.self) } catch {
            throw DataDirectoryError(description: "the devbroker cannot read its data directory \(path): \(error)")
        }
        var known = Set<String>()
        var batches = 0
        var bytes = 0
        var cut = 0
        for entry in file?.topics ?? [] {
            let config: TopicConfig
            do { config = try TopicConfig(entry.config) } catch {
                throw DataDirectoryError(
                    description: "the devbroker cannot read topic \(entry.name) in \(path)/\(Self.topicsFile): \(error.reason)")
            }
            var logs: [PartitionLog] = []
            for p in 0..<entry.partitions {
                let log = PartitionLog(topic: entry.name, partition: Int32(p), config: config)
                let directory = partitionDirectory(entry.name, p)
                known.insert("\(entry.name)-\(p)")
                try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                let storage = PartitionStorage(directory: directory, logger: logger)
                let recovered = storage.recover(now: now)
                log.storage = storage
                for batch in recovered.batches { log.replay(batch) }
                batches += recovered.batches.count
                bytes += log.sizeInBytes
                cut += recovered.truncatedBytes
                logs.append(log)
            }
            let id = UInt128(entry.id, radix: 16) ?? UInt128.random(in: 1...UInt128.max)
            cluster.lock.withLock {
                cluster.topics[entry.name] = Cluster.Topic(name: entry.name, id: id, config: config, partitions: logs)
                cluster.storedBytes += logs.reduce(0) { $0 + $1.sizeInBytes }
            }
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "\(path)/logs")) ?? [] where !known.contains(name) {
            try? FileManager.default.removeItem(atPath: "\(path)/logs/\(name)")  // a deleted topic's leftovers
        }
        do {
            if let offsets = try journal.load(Self.offsetsFile, as: [GroupOffsetSnapshot].self) {
                cluster.groups.restoreCommittedOffsets(offsets)
            }
            if let transactions = try journal.load(Self.transactionsFile, as: TransactionSnapshot.self) {
                cluster.transactions.restore(transactions, timersOn: loop)
            }
        } catch {
            throw DataDirectoryError(description: "the devbroker cannot read its data directory \(path): \(error)")
        }
        logger.info(
            "data directory loaded",
            metadata: [
                "path": "\(path)", "topics": "\(file?.topics.count ?? 0)", "batches": "\(batches)",
                "bytes": "\(bytes)", "cutBytes": "\(cut)",
            ])
    }

    /// Closes the partitions' files; writes nothing.
    func close(_ cluster: Cluster) {
        cluster.lock.withLock {
            for topic in cluster.topics.values { for log in topic.partitions { log.storage?.close() } }
        }
    }
}

private func closeDescriptor(_ fd: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(fd)
    #else
    _ = Darwin.close(fd)
    #endif
}
