import KakusaTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import KakusaKafka

/// What keeps an exactly-once hop fast: the broker answers without Nagle's delay, and a busy reader gets everything
/// already polled as one batch.
@Suite(.serialized) struct LatencyTests {
    #if os(Linux)
    @Test func theBrokersConnectionsHaveNagleDisabledAlsoAfterABrokerRestart() async throws {
        let cluster = try EmbeddedKafka(brokers: 1, logger: testLogger)
        let port = try #require(cluster.bootstrapServers.split(separator: ":").last.flatMap { UInt16($0) })
        #expect(try await acceptedConnectionHasNoDelay(port: port))
        // Taking a broker down closes its listener; the one bound again must accept connections the same way.
        try cluster.setBroker(1, up: false)
        try cluster.setBroker(1, up: true)
        #expect(try await acceptedConnectionHasNoDelay(port: port))
    }
    #endif

    @Test func nextBatchMergesEveryBufferedPollRoundUpToTheBatchSize() async throws {
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                kafka: KafkaConfiguration(bootstrapServers: "127.0.0.1:1"), groupID: "g", topics: ["t"],
                maxBatchSize: 5, bufferedBatches: 8),
            logger: testLogger)
        var offset: Int64 = 0
        func round(_ count: Int, epoch: UInt64 = 0) -> MessageHandoff.Batch {
            defer { offset += Int64(count) }
            let messages = (0..<count).map {
                KafkaMessage(topic: "t", partition: 0, offset: offset + Int64($0), key: nil, value: nil)
            }
            return MessageHandoff.Batch(messages: messages, epoch: epoch, generation: 0)
        }
        for batch in [round(2), round(1, epoch: 99), round(3), round(4), round(1)] {
            #expect(consumer.handoff.put(batch))
        }
        var iterator = consumer.messages.makeAsyncIterator()
        // 2 + 3 (the stale round from before a rewind is dropped); 4 more would pass the batch size of 5.
        #expect(try await iterator.nextBatch()?.map(\.offset) == [0, 1, 3, 4, 5])
        #expect(try await iterator.nextBatch()?.map(\.offset) == [6, 7, 8, 9, 10])
        consumer.handoff.finish()
        #expect(try await iterator.nextBatch() == nil)
    }
}

#if os(Linux)
/// Connects to `port` and reports whether the socket the mock accepted (in this process) has TCP_NODELAY.
private func acceptedConnectionHasNoDelay(port: UInt16) async throws -> Bool {
    let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #expect(client >= 0)
    defer { close(client) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    #expect(connected == 0)
    let clientPort = localPort(client)
    // The mock accepts on its own thread: slowly when the whole suite's brokers and services share the two cores
    // (it missed 5 s once in CI). What is checked is the option, not the time.
    let deadline = ContinuousClock.now + .seconds(30)
    while ContinuousClock.now < deadline {
        for name in try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            guard let fd = Int32(name), fd != client, peerPort(fd) == clientPort, localPort(fd) == port else { continue }
            var on: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, &size) == 0 else { return false }
            return on != 0
        }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("the mock did not accept the connection")
    return false
}

private func localPort(_ fd: Int32) -> UInt16? { port(fd, getsockname) }
private func peerPort(_ fd: Int32) -> UInt16? { port(fd, getpeername) }

private func port(
    _ fd: Int32, _ call: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32
) -> UInt16? {
    var address = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let result = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(fd, $0, &length) }
    }
    guard result == 0, address.sin_family == sa_family_t(AF_INET) else { return nil }
    return UInt16(bigEndian: address.sin_port)
}
#endif
