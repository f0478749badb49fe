import Foundation
import Testing

@testable import KakusaService

@Suite("Readiness")
struct ReadinessTests {
    @Test func readyWithNoChecks() {
        let readiness = Readiness()
        #expect(readiness.isReady)
        #expect(readiness.report() == Readiness.Report(status: "ready", checks: []))
    }

    @Test func notReadyWhileAnyCheckIsFalse() {
        let readiness = Readiness()
        readiness.set("state", ready: false, reason: "restoring changelog")
        readiness.set("kafka", ready: true, reason: "connected")
        #expect(!readiness.isReady)
        let report = readiness.report()
        #expect(report.status == "not-ready")
        #expect(report.checks.map(\.name) == ["kafka", "state"])
        #expect(readiness.check("state")?.reason == "restoring changelog")

        readiness.set("state", ready: true, reason: "restored")
        #expect(readiness.isReady)
        readiness.set("kafka", ready: false, reason: "all brokers down")
        #expect(!readiness.isReady)
        readiness.remove("kafka")
        #expect(readiness.isReady)
    }

    @Test func reportEncodesEveryCheck() throws {
        let readiness = Readiness()
        readiness.set("kafka", ready: false, reason: "connecting")
        let json = String(decoding: try JSONEncoder().encode(readiness.report()), as: UTF8.self)
        #expect(json.contains(#""status":"not-ready""#))
        #expect(json.contains(#""name":"kafka""#))
        #expect(json.contains(#""reason":"connecting""#))
    }

    @Test func concurrentUpdatesAreSafe() async {
        let readiness = Readiness()
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    readiness.set("check-\(index % 10)", ready: index % 2 == 0, reason: "\(index)")
                    _ = readiness.report()
                }
            }
        }
        #expect(readiness.report().checks.count == 10)
    }
}
