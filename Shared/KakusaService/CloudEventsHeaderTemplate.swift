import KakusaEvents
import KakusaKafka

/// The CloudEvents headers of many records of one `ProducerBatch`, in `CloudEventHeaders.headers` order: all but
/// `ce_id` are stored once in the batch (one `ce_time` for the batch), and each record brings its id. Names and
/// order come from `CloudEventHeaders`, so the fast paths write what every other producer of the house writes.
public struct CloudEventsHeaderTemplate {
    /// nil where the record's own `ce_id` goes.
    private let headers: [ProducerBatch.StoredHeader?]

    private static let idKey = "ce_id"

    /// Stores the constant headers in `batch`: the template is good for that batch until it is cleared.
    public init(source: String, type: String, time: String, in batch: inout ProducerBatch) {
        let template = CloudEventHeaders(id: "", source: source, type: type, time: time)
        headers = template.headers.map { header in
            header.key == Self.idKey ? nil : batch.storeHeader(key: header.key, value: header.value.utf8)
        }
    }

    /// Adds the headers to the record appended last.
    public func add(to batch: inout ProducerBatch, id: String) {
        add(to: &batch) { $0.append(contentsOf: id.utf8) }
    }

    /// The same, with the id's bytes appended in place by `writeID`.
    public func add(to batch: inout ProducerBatch, writeID: (inout [UInt8]) -> Void) {
        for header in headers {
            if let header { batch.addHeader(header) } else { batch.addHeader(key: Self.idKey, writeValue: writeID) }
        }
    }
}
