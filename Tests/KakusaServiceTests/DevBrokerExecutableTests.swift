import Foundation
import KakusaTestSupport
import Testing

/// The `devbroker` executable as users and outside clients meet it: first stdout line is the bootstrap list,
/// the Kakusa topics exist, kcat and Python's confluent-kafka can produce and consume, SIGTERM stops it.
@Suite(.serialized)
struct DevBrokerExecutableTests {
    @Test func printsItsBootstrapListAndServesKcatAndPythonClients() async throws {
        let directory = try ServiceProcessHarness.productsDirectory()
        let process = Process()
        process.executableURL = directory.appendingPathComponent("devbroker")
        process.arguments = ["--partitions", "2", "--topic", "outside:1"]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let firstLine = try #require(readLine(from: stdout.fileHandleForReading))
        #expect(firstLine.range(of: #"^127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+)*$"#, options: .regularExpression) != nil)

        let metadata = try shell("kcat", ["-L", "-b", firstLine, "-J"])
        #expect(metadata.contains("\"kakusa.funding-rounds\""))
        #expect(metadata.contains("\"kakusa.alerts\""))

        _ = try shell("kcat", ["-P", "-b", firstLine, "-t", "outside", "-K", ":"], input: "k1:from-kcat\n")
        let python = try pythonPath()
        let script = """
            import sys
            from confluent_kafka import Producer, Consumer
            b = sys.argv[1]
            p = Producer({"bootstrap.servers": b, "enable.idempotence": True})
            p.produce("outside", key=b"k2", value=b"from-python")
            assert p.flush(10) == 0
            c = Consumer({"bootstrap.servers": b, "group.id": "py", "auto.offset.reset": "earliest"})
            c.subscribe(["outside"])
            seen = []
            for _ in range(300):
                m = c.poll(0.1)
                if m is not None and m.error() is None:
                    seen.append(m.value().decode())
                if len(seen) == 2:
                    break
            c.close()
            print(",".join(seen))
            """
        let seen = try shell(python, ["-c", script, firstLine]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(seen == "from-kcat,from-python")

        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}

/// The package's root directory (for deploy/, data/).
let packageRoot = ServiceProcessHarness.packageRoot

func readLine(from handle: FileHandle) -> String? {
    var bytes: [UInt8] = []
    while true {
        let chunk = handle.readData(ofLength: 1)
        guard let byte = chunk.first else { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
        if byte == 10 { return String(decoding: bytes, as: UTF8.self) }
        bytes.append(byte)
    }
}

/// The venv Python that scripts/test prepares (KAKUSA_PYTHON), else `.venv/bin/python` of this package.
func pythonPath() throws -> String {
    if let configured = ProcessInfo.processInfo.environment["KAKUSA_PYTHON"], !configured.isEmpty { return configured }
    let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let venv = package.appendingPathComponent(".venv/bin/python").path
    guard FileManager.default.isExecutableFile(atPath: venv) else {
        throw ServiceProcessHarness.HarnessError(code: "no-python", context: "no \(venv): run scripts/test, which creates it")
    }
    return venv
}

@discardableResult
func shell(_ command: String, _ arguments: [String], input: String? = nil) throws -> String {
    try CommandRun.run(command, arguments, input: input).output(of: command)
}
