import KakusaTestSupport
import KakusaKafka
import Testing

@testable import Ingester

@Suite struct IngestWavesTests {
    func message(_ key: String, _ n: Int) -> ProducerMessage {
        ProducerMessage(topic: "t", key: key, value: "\(key)\(n)")
    }

    @Test func noKeyTwiceInAWaveAndEachKeyInOrder() {
        let messages = [message("a", 1), message("b", 1), message("a", 2), message("c", 1), message("a", 3),
                        message("b", 2)]
        let waves = IngestAPI.waves(messages)
        #expect(waves.map { $0.compactMap { $0.value.map { String(decoding: $0, as: UTF8.self) } } }
            == [["a1", "b1", "c1"], ["a2", "b2"], ["a3"]])
    }

    @Test func distinctKeysAreOneWave() {
        let messages = (0..<100).map { message("k\($0)", 0) }
        #expect(IngestAPI.waves(messages).count == 1)
    }
}
