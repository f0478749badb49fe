import Foundation
import Logging
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A partition's segments: where each begins and how many bytes it holds and, with a data directory, the files
/// they are kept in (`<base offset>.log`, the batches as stored, appended with write(2) and no fsync, as Kafka's
/// default). The last segment is the active one; the compactor cleans only below it, as Kafka's does.
/// Guarded by the cluster's lock, like the log it belongs to.
final class PartitionStorage {
    struct Segment {
        var baseOffset: Int64
        var bytes: Int
        /// When it became the active segment (for `segment.ms`).
        var created: Int64
    }

    /// The partition's folder, nil without a data directory (segments are then tracked in memory only).
    let directory: String?
    let logger: Logger
    private(set) var segments: [Segment] = []
    /// The active segment's file, open for appending; -1 when none is open.
    private var descriptor: Int32 = -1

    /// The compactor's progress: offsets below are clean (Kafka's cleaner checkpoint, kept in memory here).
    var firstDirtyOffset: Int64 = 0
    /// The delete horizon of each kept batch holding tombstones, or of a marker whose records are gone, by base
    /// offset: the compactor removes them once it has passed (KIP-534's horizon, kept in memory here).
    var deleteHorizons: [Int64: Int64] = [:]

    init(directory: String?, logger: Logger) {
        self.directory = directory
        self.logger = logger
    }

    deinit { close() }

    var activeSegmentBase: Int64? { segments.last?.baseOffset }

    static func fileName(_ baseOffset: Int64) -> String {
        let digits = String(baseOffset)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".log"
    }

    private func path(_ baseOffset: Int64) -> String? {
        directory.map { "\($0)/\(Self.fileName(baseOffset))" }
    }

    // MARK: Appends

    /// Writes `batch` (its offsets assigned) to the active segment, rolling a new one first when it is full or
    /// old. Returns nil once written, or why it could not be (the append is then refused: KAFKA_STORAGE_ERROR).
    func write(_ batch: RecordBatch, config: TopicConfig, now: Int64) -> String? {
        if let last = segments.last, last.bytes > 0,
            last.bytes + batch.size > config.segmentBytes || now - last.created >= config.segmentMilliseconds
        {
            roll(at: batch.baseOffset, now: now)
        } else if segments.isEmpty {
            segments.append(Segment(baseOffset: batch.baseOffset, bytes: 0, created: now))
        }
        if directory != nil {
            if descriptor < 0, let failure = openActive() { return failure }
            if let failure = writeAll(batch.bytes) { return failure }
        }
        segments[segments.count - 1].bytes += batch.size
        return nil
    }

    private func roll(at baseOffset: Int64, now: Int64) {
        closeDescriptor()
        segments.append(Segment(baseOffset: baseOffset, bytes: 0, created: now))
    }

    private func openActive() -> String? {
        guard let base = activeSegmentBase, let file = path(base) else { return nil }
        let fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let why = "cannot open \(file): \(String(cString: strerror(errno)))"
            logger.error("storage: segment not writable", metadata: ["reason": "\(why)"])
            return why
        }
        descriptor = fd
        return nil
    }

    /// Writes every byte or, failing, cuts the file back to where it was so no torn batch stays before later ones.
    private func writeAll(_ bytes: ByteBuffer) -> String? {
        let start = lseek(descriptor, 0, SEEK_END)
        var failure: String?
        bytes.withUnsafeReadableBytes { raw in
            var done = 0
            while done < raw.count {
                let n = systemWrite(descriptor, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return
                }
                done += n
            }
        }
        guard let failure else { return nil }
        if start >= 0 { _ = ftruncate(descriptor, start) }
        let why = "write to \(directory ?? "")/\(Self.fileName(activeSegmentBase ?? 0)) failed: \(failure)"
        logger.error("storage: append not written", metadata: ["reason": "\(why)"])
        return why
    }

    // MARK: Retention and compaction

    /// Deletes the segments wholly below the log start offset (retention dropped every batch in them).
    func dropSegments(below logStartOffset: Int64) {
        while segments.count > 1, segments[1].baseOffset <= logStartOffset {
            let gone = segments.removeFirst()
            if let file = path(gone.baseOffset) { unlink(file) }
        }
    }

    /// After compaction: rewrites each segment below `end` whose batches changed with the batches it now holds
    /// (write to `.cleaned`, then rename over, as Kafka swaps cleaned segments in), and forgets empty ones.
    func rewriteSegments(below end: Int64, batches: [RecordBatch]) {
        var kept: [Segment] = []
        var index = 0
        for (i, segment) in segments.enumerated() {
            let next = i + 1 < segments.count ? segments[i + 1].baseOffset : Int64.max
            guard segment.baseOffset < end, next <= end else {
                kept.append(segment)
                continue
            }
            while index < batches.count, batches[index].baseOffset < segment.baseOffset { index += 1 }
            let first = index
            var bytes = 0
            while index < batches.count, batches[index].baseOffset < next {
                bytes += batches[index].size
                index += 1
            }
            if bytes == segment.bytes {
                kept.append(segment)
                continue
            }
            if bytes == 0 {
                if let file = path(segment.baseOffset) { unlink(file) }
                continue
            }
            var updated = segment
            updated.bytes = bytes
            if let file = path(segment.baseOffset) {
                if let failure = Self.writeFile("\(file).cleaned", batches[first..<index]) {
                    logger.error("storage: cleaned segment not written", metadata: ["reason": "\(failure)"])
                    kept.append(segment)
                    continue
                }
                rename("\(file).cleaned", file)
            }
            kept.append(updated)
        }
        segments = kept
    }

    private static func writeFile(_ file: String, _ batches: ArraySlice<RecordBatch>) -> String? {
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return "cannot create \(file): \(String(cString: strerror(errno)))" }
        defer { systemClose(fd) }
        for batch in batches {
            var failure: String?
            batch.bytes.withUnsafeReadableBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = systemWrite(fd, raw.baseAddress! + done, raw.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        failure = "write to \(file) failed: \(String(cString: strerror(errno)))"
                        return
                    }
                    done += n
                }
            }
            if let failure { return failure }
        }
        return nil
    }

    private func closeDescriptor() {
        if descriptor >= 0 { systemClose(descriptor) }
        descriptor = -1
    }

    /// Closes the active file; nothing is written (a devbroker killed with -9 loses nothing this would keep).
    func close() { closeDescriptor() }

    /// Closes the files and deletes the partition's folder (its topic was deleted).
    func removeFiles() {
        closeDescriptor()
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    // MARK: Recovery

    /// What a load found in a partition's folder.
    struct Recovered {
        var batches: [RecordBatch] = []
        /// Bytes cut off a torn or corrupt tail, and the segments after it deleted.
        var truncatedBytes = 0
        var deletedSegments = 0
    }

    /// Reads the partition's segments back, checking each batch's length, magic, CRC-32C and offsets, as Kafka's
    /// recovery does: the first bad batch and everything after it are cut off (the file truncated there, later
    /// segments deleted), since only a torn last write can leave one.
    func recover(now: Int64) -> Recovered {
        guard let directory else { return Recovered() }
        var result = Recovered()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasSuffix(".cleaned") || name.hasSuffix(".tmp") {
            unlink("\(directory)/\(name)")  // a swap interrupted before its rename: the old segment stands
        }
        let bases = names.compactMap { name -> Int64? in
            guard name.hasSuffix(".log") else { return nil }
            return Int64(name.dropLast(4))
        }.sorted()
        var nextOffset: Int64 = -1
        var corrupt = false
        for base in bases {
            let file = "\(directory)/\(Self.fileName(base))"
            if corrupt {
                unlink(file)
                result.deletedSegments += 1
                continue
            }
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            var buffer = ByteBuffer(bytes: data)
            var valid = 0
            while buffer.readableBytes > 0 {
                guard let batch = Self.nextBatch(&buffer, after: nextOffset) else {
                    corrupt = true
                    break
                }
                valid += batch.size
                nextOffset = batch.lastOffset + 1
                result.batches.append(batch)
            }
            if corrupt {
                result.truncatedBytes += data.count - valid
                truncate(file, off_t(valid))
                logger.warning(
                    "storage: torn or corrupt tail cut off",
                    metadata: [
                        "segment": "\(file)", "validBytes": "\(valid)", "cutBytes": "\(data.count - valid)",
                    ])
            }
            segments.append(Segment(baseOffset: base, bytes: valid, created: now))
        }
        return result
    }

    /// The next whole, checked batch of a segment file, copied into its own buffer; nil for a torn or bad one.
    private static func nextBatch(_ buffer: inout ByteBuffer, after lastEnd: Int64) -> RecordBatch? {
        let start = buffer.readerIndex
        guard buffer.readableBytes >= headerBytes,
            let length = buffer.getInteger(at: start + RecordBatch.Field.batchLength, as: Int32.self),
            length >= Int32(RecordBatch.headerSize - 12), buffer.readableBytes >= 12 + Int(length),
            buffer.getInteger(at: start + RecordBatch.Field.magic, as: Int8.self) == 2,
            let base = buffer.getInteger(at: start, as: Int64.self), base >= lastEnd
        else { return nil }
        let slice = buffer.readSlice(length: 12 + Int(length))!
        let expected = slice.getInteger(at: slice.readerIndex + RecordBatch.Field.crc, as: UInt32.self)
        let actual = slice.withUnsafeReadableBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[RecordBatch.Field.attributes...]))
        }
        guard expected == actual else { return nil }
        var own = ByteBufferAllocator().buffer(capacity: slice.readableBytes)
        own.writeImmutableBuffer(slice)
        return RecordBatch(own)
    }

    private static let headerBytes = RecordBatch.headerSize
}

private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(fd, bytes, count)
    #else
    Darwin.write(fd, bytes, count)
    #endif
}

private func systemClose(_ fd: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(fd)
    #else
    _ = Darwin.close(fd)
    #endif
}
