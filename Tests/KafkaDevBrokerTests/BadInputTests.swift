import Foundation
import KakusaTestSupport
import NIOCore
import Testing

@testable import KafkaDevBroker

/// Malformed requests get the error Kafka gives or a closed connection, and never stop the broker or another
/// connection.
@Suite struct BadInputTests {
    func apiVersionsStillAnswer(_ broker: DevBroker) throws {
        let client = try RawKafkaClient(broker.bootstrapServers)
        var body = try client.roundTrip(api: 18, version: 0) { _ in }
        #expect(body.readInteger(as: Int16.self) == 0)
    }

    @Test func aFrameLengthOutOfBoundsClosesOnlyThatConnection() async throws {
        try await withDevBroker { broker in
            let bystander = try RawKafkaClient(broker.bootstrapServers)
            for size: Int32 in [-1, 0, 3, 200_000_000] {
                let client = try RawKafkaClient(broker.bootstrapServers)
                var b = ByteBuffer()
                b.writeInteger(size)
                b.writeBytes([0, 18, 0, 0])
                try client.sendRaw(Array(b.readableBytesView))
                #expect(client.isClosedByPeer(), "size \(size)")
            }
            var body = try bystander.roundTrip(api: 18, version: 1) { _ in }
            #expect(body.readInteger(as: Int16.self) == 0)
        }
    }

    @Test func anUnknownApiOrVersionClosesTheConnection() async throws {
        try await withDevBroker { broker in
            let unknownAPI = try RawKafkaClient(broker.bootstrapServers)
            _ = try unknownAPI.send(api: 999, version: 0) { _ in }
            #expect(unknownAPI.isClosedByPeer())
            let unknownVersion = try RawKafkaClient(broker.bootstrapServers)
            _ = try unknownVersion.send(api: 3, version: 99) { _ in }
            #expect(unknownVersion.isClosedByPeer())
            try apiVersionsStillAnswer(broker)
        }
    }

    @Test func anApiVersionsOfAnUnknownVersionGetsUnsupportedVersionInV0Form() async throws {
        try await withDevBroker { broker in
            let client = try RawKafkaClient(broker.bootstrapServers)
            var body = try client.roundTrip(api: 18, version: 42) { _ in }
            #expect(body.readInteger(as: Int16.self) == ErrorCode.unsupportedVersion.rawValue)
            let count = body.readInteger(as: Int32.self) ?? 0
            var ranges: [Int16: ClosedRange<Int16>] = [:]
            for _ in 0..<count {
                let key: Int16 = body.readInteger()!
                let lo: Int16 = body.readInteger()!
                let hi: Int16 = body.readInteger()!
                ranges[key] = lo...hi
            }
            #expect(ranges[18] == 0...3)
            #expect(ranges[0] == 0...7)
        }
    }

    @Test func aTruncatedBodyClosesTheConnection() async throws {
        try await withDevBroker(topics: ["t": 1]) { broker in
            let client = try RawKafkaClient(broker.bootstrapServers)
            // A Metadata v1 request claiming three topic names but carrying one.
            _ = try client.send(api: 3, version: 1) { out in
                out.writeInteger(Int32(3))
                out.writeKafkaString("t")
            }
            #expect(client.isClosedByPeer())
            try apiVersionsStillAnswer(broker)
        }
    }

    @Test func aBatchWithABadChecksumIsCorruptMessage() async throws {
        try await withDevBroker(topics: ["t": 1]) { broker in
            let client = try RawKafkaClient(broker.bootstrapServers)
            var batch = BatchBuilder.batch([("k", "v")])
            batch.setInteger(UInt8(0x55), at: batch.writerIndex - 2)
            let body = try client.roundTrip(api: 0, version: 7, BatchBuilder.produce(topic: "t", batch: batch))
            #expect(BatchBuilder.produceResult(body).error == ErrorCode.corruptMessage.rawValue)
            let good = try client.roundTrip(api: 0, version: 7, BatchBuilder.produce(topic: "t", batch: BatchBuilder.batch([("k", "v")])))
            #expect(BatchBuilder.produceResult(good) == (0, 0), "the corrupt batch was not appended")
        }
    }

    @Test func aBatchOverMaxMessageBytesIsMessageTooLarge() async throws {
        try await withDevBroker(topics: ["small": 1], configs: ["small": ["max.message.bytes": "1000"]]) { broker in
            let client = try RawKafkaClient(broker.bootstrapServers)
            let big = BatchBuilder.batch([("k", String(repeating: "x", count: 2000))])
            let body = try client.roundTrip(api: 0, version: 7, BatchBuilder.produce(topic: "small", batch: big))
            #expect(BatchBuilder.produceResult(body).error == ErrorCode.messageTooLarge.rawValue)
        }
    }

    @Test func aProduceToAnUnknownTopicIsUnknownTopicOrPartition() async throws {
        try await withDevBroker { broker in
            let client = try RawKafkaClient(broker.bootstrapServers)
            let body = try client.roundTrip(api: 0, version: 7, BatchBuilder.produce(topic: "nope", batch: BatchBuilder.batch([("k", "v")])))
            #expect(BatchBuilder.produceResult(body).error == ErrorCode.unknownTopicOrPartition.rawValue)
        }
    }

    /// Mutated copies of valid requests (bytes flipped, cut short, lengths changed) never crash or stall the
    /// broker: after every hundred, a fresh connection still gets its ApiVersions answered.
    @Test func mutatedRequestsNeverStopTheBroker() async throws {
        try await withDevBroker(topics: ["fuzz": 2]) { broker in
            var seeds: [[UInt8]] = []
            func frame(_ api: Int16, _ version: Int16, flexible: Bool = false, _ body: (inout ByteBuffer) -> Void) -> [UInt8] {
                var b = ByteBuffer()
                b.writeInteger(Int32(0))
                b.writeInteger(api)
                b.writeInteger(version)
                b.writeInteger(Int32(7))
                b.writeKafkaString("fuzz")
                if flexible { b.writeInteger(UInt8(0)) }
                body(&b)
                b.setInteger(Int32(b.readableBytes - 4), at: 0)
                return Array(b.readableBytesView)
            }
            seeds.append(frame(18, 3, flexible: true) { $0.writeBytes([3, 0x61, 0x62, 2, 0x31, 0]) })
            seeds.append(frame(3, 4) { $0.writeInteger(Int32(1)); $0.writeKafkaString("fuzz"); $0.writeInteger(Int8(0)) })
            seeds.append(frame(0, 7, BatchBuilder.produce(topic: "fuzz", batch: BatchBuilder.batch([("a", "b"), ("c", nil)]))))
            seeds.append(frame(1, 11) { out in
                out.writeInteger(Int32(-1)); out.writeInteger(Int32(10)); out.writeInteger(Int32(1))
                out.writeInteger(Int32(1 << 20)); out.writeInteger(Int8(1)); out.writeInteger(Int32(0)); out.writeInteger(Int32(-1))
                out.writeInteger(Int32(1)); out.writeKafkaString("fuzz"); out.writeInteger(Int32(1))
                out.writeInteger(Int32(0)); out.writeInteger(Int32(-1)); out.writeInteger(Int64(0)); out.writeInteger(Int64(0))
                out.writeInteger(Int32(1 << 20)); out.writeInteger(Int32(0)); out.writeKafkaString("")
            })
            seeds.append(frame(2, 2) { out in
                out.writeInteger(Int32(-1)); out.writeInteger(Int8(0)); out.writeInteger(Int32(1)); out.writeKafkaString("fuzz")
                out.writeInteger(Int32(1)); out.writeInteger(Int32(0)); out.writeInteger(Int64(-1))
            })
            seeds.append(frame(19, 4) { out in
                out.writeInteger(Int32(1)); out.writeKafkaString("made"); out.writeInteger(Int32(1)); out.writeInteger(Int16(1))
                out.writeInteger(Int32(0)); out.writeInteger(Int32(1)); out.writeKafkaString("cleanup.policy")
                out.writeKafkaString("compact"); out.writeInteger(Int32(1000)); out.writeInteger(Int8(0))
            })
            var rng = SeededGenerator(state: 20_261_203)
            for round in 0..<600 {
                var bytes = seeds[Int.random(in: 0..<seeds.count, using: &rng)]
                switch Int.random(in: 0..<4, using: &rng) {
                case 0:
                    for _ in 0..<Int.random(in: 1...4, using: &rng) {
                        bytes[Int.random(in: 4..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                    }
                case 1:
                    let cut = Int.random(in: 5..<bytes.count, using: &rng)
                    bytes = Array(bytes[..<cut])
                    let size = Int32(cut - 4).bigEndian
                    withUnsafeBytes(of: size) { bytes.replaceSubrange(0..<4, with: $0) }
                case 2:
                    let at = Int.random(in: 12..<bytes.count, using: &rng)
                    bytes[at] = [0x00, 0x7f, 0xff, 0x80][Int.random(in: 0..<4, using: &rng)]
                default:
                    bytes += (0..<Int.random(in: 1...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                    let size = Int32(bytes.count - 4).bigEndian
                    withUnsafeBytes(of: size) { bytes.replaceSubrange(0..<4, with: $0) }
                }
                let client = try RawKafkaClient(broker.bootstrapServers, timeout: 2)
                try? client.sendRaw(bytes)
                if round % 100 == 99 { try apiVersionsStillAnswer(broker) }
            }
            try apiVersionsStillAnswer(broker)
        }
    }
}
