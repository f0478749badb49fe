import Logging
import Testing

@testable import KakusaService

@Suite("Log lines")
struct KakusaLogHandlerTests {
    @Test func textHasSortedKeyValueMetadata() {
        let handler = KakusaLogHandler(label: "ingester", format: .text, logLevel: .info)
        let line = handler.render(
            level: .info,
            message: "http server listening",
            metadata: [LogKey.port: "8081", LogKey.host: "0.0.0.0", LogKey.reason: "two words"],
            time: "T"
        )
        #expect(line == #"T info ingester: http server listening host=0.0.0.0 port=8081 reason="two words""#)
    }

    @Test func jsonIsOneObjectWithEscapedStrings() {
        let handler = KakusaLogHandler(label: "alerter", format: .json, logLevel: .info)
        let line = handler.render(
            level: .warning,
            message: "say \"hi\"\n",
            metadata: ["message": "clash", LogKey.count: .stringConvertible(3), "list": ["a", "b"]],
            time: "T"
        )
        #expect(
            line == #"{"time":"T","level":"warning","logger":"alerter","message":"say \"hi\"\n","count":"3","#
                + #""list":["a","b"],"_message":"clash"}"#
        )
    }

    @Test func timeIsRFC3339WithMilliseconds() {
        let time = KakusaLogHandler.now()
        #expect(time.count == "2026-01-02T03:04:05.678Z".count)
        #expect(time.hasSuffix("Z"))
    }

    @Test func metricNamesAreSanitizedForPrometheus() {
        #expect(ServiceBootstrap.prometheusName("http.server.request.duration") == "http_server_request_duration")
        #expect(ServiceBootstrap.prometheusName("9lives:x") == "_lives:x")
        #expect(ServiceBootstrap.prometheusName("a:b", allowColon: false) == "a_b")
    }
}
