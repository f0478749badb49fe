#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The standard Prometheus process metrics, read from `/proc/self` at each scrape.
///
/// Neither swift-metrics nor swift-prometheus ships them (they lived in swift-metrics' former `SystemMetrics`,
/// now a separate package), and they are cheap to read, so the kit computes them itself. Linux only;
/// elsewhere ``sample()`` returns `nil` and `/metrics` simply has no process metrics.
public struct ProcessMetrics: Sendable, Equatable {
    public var residentMemoryBytes: Int
    public var virtualMemoryBytes: Int
    public var cpuSeconds: Double
    /// Seconds since the Unix epoch at which the process started.
    public var startTimeSeconds: Double
    public var openFileDescriptors: Int
    public var maxFileDescriptors: Int?

    /// Reads the current values; `nil` when `/proc` is not there.
    public static func sample() -> ProcessMetrics? {
        #if os(Linux)
            guard let stat = readProcFile("/proc/self/stat"), let closing = stat.lastIndex(of: ")") else { return nil }
            // Fields after "comm)": state is field 3, so index i here is field i + 3.
            let fields = stat[stat.index(after: closing)...].split(separator: " ")
            guard fields.count > 21,
                let utime = Double(fields[11]), let stime = Double(fields[12]),
                let startTicks = Double(fields[19]), let virtual = Int(fields[20]), let residentPages = Int(fields[21])
            else { return nil }
            let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
            let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
            var limit = rlimit()
            let maxFDs = getrlimit(openFilesLimit, &limit) == 0 ? Int(clamping: limit.rlim_cur) : nil
            return ProcessMetrics(
                residentMemoryBytes: residentPages * pageSize,
                virtualMemoryBytes: virtual,
                cpuSeconds: (utime + stime) / ticks,
                startTimeSeconds: bootTime() + startTicks / ticks,
                openFileDescriptors: countOpenFileDescriptors(),
                maxFileDescriptors: maxFDs
            )
        #else
            return nil
        #endif
    }

    /// Appends the metrics in the Prometheus text exposition format.
    public func emit(into buffer: inout [UInt8]) {
        var text = ""
        func metric(_ name: String, _ type: String, _ help: String, _ value: String) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        metric("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", "\(residentMemoryBytes)")
        metric("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", "\(virtualMemoryBytes)")
        metric("process_cpu_seconds_total", "counter", "Total user and system CPU time in seconds.", "\(cpuSeconds)")
        metric(
            "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
            "\(startTimeSeconds)"
        )
        metric("process_open_fds", "gauge", "Number of open file descriptors.", "\(openFileDescriptors)")
        if let maxFileDescriptors {
            metric("process_max_fds", "gauge", "Maximum number of open file descriptors.", "\(maxFileDescriptors)")
        }
        buffer.append(contentsOf: text.utf8)
    }

    #if os(Linux)
        private static let openFilesLimit = __rlimit_resource_t(UInt32(RLIMIT_NOFILE.rawValue))

        /// `/proc` files report size 0, so read until end of file rather than by size.
        static func readProcFile(_ path: String) -> String? {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count <= 0 { break }
                bytes.append(contentsOf: chunk[0..<count])
            }
            return String(decoding: bytes, as: UTF8.self)
        }

        /// The `btime` line of `/proc/stat`: boot time in seconds since the epoch; process start times count from it.
        private static func bootTime() -> Double {
            guard let stat = readProcFile("/proc/stat") else { return 0 }
            for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
                return Double(line.dropFirst("btime ".count)) ?? 0
            }
            return 0
        }

        /// Entries of `/proc/self/fd`, less the one the directory listing itself holds open.
        private static func countOpenFileDescriptors() -> Int {
            guard let directory = opendir("/proc/self/fd") else { return 0 }
            defer { closedir(directory) }
            var count = 0
            while let entry = readdir(directory) {
                let isDot = withUnsafeBytes(of: entry.pointee.d_name) { $0.first == UInt8(ascii: ".") }
                if !isDot { count += 1 }
            }
            return max(0, count - 1)
        }
    #endif
}
