import CRdKafka
import Synchronization

/// Counts the delivery reports of one `send` or one batch and resumes the waiting task after the last.
///
/// Its address is each message's opaque; one retain is held from submission until the last report.
final class DeliveryTracker: @unchecked Sendable {
    struct Failure: Sendable {
        var key: [UInt8]?
        var error: KafkaError
    }

    private struct State {
        var outstanding = 1  // 1 while messages are still being submitted
        var delivered = 0
        var lastReport: DeliveryReport?
        var failures: [Failure] = []
        var continuation: CheckedContinuation<Void, Never>?
        var done = false
    }

    private let state = Mutex(State())

    var opaque: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    static func from(opaque: UnsafeMutableRawPointer) -> DeliveryTracker {
        Unmanaged<DeliveryTracker>.fromOpaque(opaque).takeUnretainedValue()
    }

    /// Keeps the tracker alive while librdkafka holds its address.
    func retainForDelivery() { _ = Unmanaged.passRetained(self) }

    func willSubmit() { state.withLock { $0.outstanding += 1 } }

    /// A message was refused at submission: no report will come for it.
    func submissionFailed() { finishOne(success: nil, failure: nil) }

    /// All messages are submitted.
    func sealed() { finishOne(success: nil, failure: nil) }

    /// Called from librdkafka's delivery callback.
    func record(_ message: UnsafePointer<rd_kafka_message_t>) {
        let m = message.pointee
        if m.err == RD_KAFKA_RESP_ERR_NO_ERROR {
            let report = DeliveryReport(
                topic: String(cString: rd_kafka_topic_name(m.rkt)), partition: m.partition, offset: m.offset)
            finishOne(success: report, failure: nil)
        } else {
            var key: [UInt8]?
            if let k = m.key, m.key_len > 0 {
                key = Array(UnsafeRawBufferPointer(start: k, count: m.key_len))
            }
            let error = KafkaError.rdKafka(m.err, code: .delivery, context: "delivery failed")
            finishOne(success: nil, failure: Failure(key: key, error: error))
        }
    }

    private func finishOne(success: DeliveryReport?, failure: Failure?) {
        let (continuation, release) = state.withLock { s -> (CheckedContinuation<Void, Never>?, Bool) in
            if let success {
                s.delivered += 1
                s.lastReport = success
            }
            if let failure { s.failures.append(failure) }
            s.outstanding -= 1
            guard s.outstanding == 0 else { return (nil, false) }
            s.done = true
            let c = s.continuation
            s.continuation = nil
            return (c, true)
        }
        continuation?.resume()
        if release { Unmanaged.passUnretained(self).release() }
    }

    /// Waits until every submitted message has its report.
    func wait() async -> (delivered: Int, lastReport: DeliveryReport?, failures: [Failure]) {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let already = state.withLock { s -> Bool in
                if s.done { return true }
                s.continuation = c
                return false
            }
            if already { c.resume() }
        }
        return state.withLock { ($0.delivered, $0.lastReport, $0.failures) }
    }
}
