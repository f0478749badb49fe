import Dispatch

/// A batch's indices cut into contiguous chunks, run on all cores: for the CPU-bound passes that turn a batch of
/// records into bytes. Results come back in chunk order, so the output keeps the input's order.
///
/// Synchronous on purpose: the callers hold the batch and the state in hand (no copies into tasks), and the work
/// is short (a batch's worth). A small batch, or one core, runs inline as one chunk.
public struct ParallelChunks: Sendable {
    public let ranges: [Range<Int>]

    /// - Parameters:
    ///   - count: the number of indices (records).
    ///   - parallelism: the most chunks to cut (usually the number of cores).
    ///   - minimumChunk: below twice this many indices, one chunk.
    public init(count: Int, parallelism: Int, minimumChunk: Int = 1024) {
        let chunks = max(1, min(parallelism, count / max(minimumChunk, 1)))
        let size = (count + chunks - 1) / max(chunks, 1)
        ranges = stride(from: 0, to: max(count, 1), by: max(size, 1)).map { $0..<min($0 + size, count) }
    }

    public var count: Int { ranges.count }

    /// Runs `body(chunk, range)` for every chunk, concurrently, and returns when all are done.
    public func forEach(_ body: (Int, Range<Int>) -> Void) {
        guard ranges.count > 1 else {
            if let range = ranges.first { body(0, range) }
            return
        }
        let ranges = self.ranges
        withoutActuallyEscaping(body) { body in
            // Unchecked: every chunk touches its own indices only, and this returns after all of them are done.
            let work = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: ranges.count) { work.value($0, ranges[$0]) }
        }
    }

    /// `body`'s result for every chunk, computed concurrently, in chunk order.
    public func map<T>(_ body: (Range<Int>) -> T) -> [T] {
        var results = [T?](repeating: nil, count: ranges.count)
        results.withUnsafeMutableBufferPointer { slots in
            forEach { chunk, range in slots[chunk] = body(range) }  // each chunk writes its own slot
        }
        return results.map { $0! }
    }
}

private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
