import CRdKafka
import Synchronization

/// Counts the delivery reports of one `send` or one batch and resumes the waiting task after the last.
///
/// Its address is each message's opaque; one retain is held from submission until the last report.
/// The submitter counts locally and tells the total once (`seal`), so the hot path takes no lock per
/// record on the submitting side.
final class DeliveryTracker: @unchecked Sendable {
    struct Failure: Sendable {
        var key: [UInt8]?
        var error: KafkaError
    }

    private struct State {
        var submitted = 0
        var sealed = false
        var reported = 0
        var delivered = 0
        var last: (partition: Int32, offset: Int64)?
        var failures: [Failure] = []
        var continuation: CheckedContinuation<Void, Never>?
        var done = false

        var complete: Bool { sealed && reported == submitted }
    }

    private let state = Mutex(State())

    var opaque: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    static func from(opaque: UnsafeMutableRawPointer) -> DeliveryTracker {
        Unmanaged<DeliveryTracker>.fromOpaque(opaque).takeUnretainedValue()
    }

    /// Keeps the tracker alive while librdkafka holds its address; released after the last report.
    func retainForDelivery() { _ = Unmanaged.passRetained(self) }

    /// All `count` records are enqueued: no more will be.
    func seal(submitted count: Int) {
        update { s in
            s.submitted = count
            s.sealed = true
        }
    }

    /// Called from librdkafka's delivery callback, on the polling thread.
    func record(_ message: UnsafePointer<rd_kafka_message_t>) {
        let m = message.pointee
        if m.err == RD_KAFKA_RESP_ERR_NO_ERROR {
            update { s in
                s.reported += 1
                s.delivered += 1
                s.last = (m.partition, m.offset)
            }
        } else {
            let key = m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) }
            let error = KafkaError.rdKafka(m.err, code: .delivery, context: "delivery failed")
            update { s in
                s.reported += 1
                s.failures.append(Failure(key: key, error: error))
            }
        }
    }

    private func update(_ body: (inout State) -> Void) {
        let (continuation, finished) = state.withLock { s -> (CheckedContinuation<Void, Never>?, Bool) in
            body(&s)
            guard s.complete, !s.done else { return (nil, false) }
            s.done = true
            defer { s.continuation = nil }
            return (s.continuation, true)
        }
        continuation?.resume()
        if finished { Unmanaged.passUnretained(self).release() }
    }

    /// Waits until every submitted record has its report.
    func wait() async -> (delivered: Int, last: (partition: Int32, offset: Int64)?, failures: [Failure]) {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let already = state.withLock { s -> Bool in
                if s.done { return true }
                s.continuation = c
                return false
            }
            if already { c.resume() }
        }
        return state.withLock { ($0.delivered, $0.last, $0.failures) }
    }
}
