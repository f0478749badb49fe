import Hummingbird
import Logging
import NIOCore
import Prometheus

/// Builds a service's HTTP application: `/health/live`, `/health/ready`, `/metrics`, plus the service's own routes.
///
/// The builder owns the router so that its middleware (request logging at debug, HTTP metrics) applies to every
/// route: a service adds its routes to ``router`` and then calls ``build()``.
///
/// ```swift
/// let http = HTTPApplicationBuilder(configuration: configuration, readiness: readiness, logger: logger)
/// http.router.get("/v1/companies/:slug") { request, context in … }
/// let application = http.build()
/// ```
public struct HTTPApplicationBuilder {
    /// The router; add the service's routes here before ``build()``.
    public let router: Router<BasicRequestContext>
    public let configuration: ServiceConfiguration
    public let readiness: Readiness
    public let logger: Logger

    /// - Parameters:
    ///   - registry: What `/metrics` serves; the one ``ServiceBootstrap`` gave to swift-metrics.
    ///   - buildInfo: Exported as `kakusa_build_info`; by default the configured service at this Kakusa version.
    public init(
        configuration: ServiceConfiguration,
        readiness: Readiness,
        logger: Logger,
        registry: PrometheusCollectorRegistry = PrometheusMetricsFactory.defaultRegistry,
        buildInfo: BuildInfo? = nil
    ) {
        self.configuration = configuration
        self.readiness = readiness
        self.logger = logger
        (buildInfo ?? BuildInfo(service: configuration.service)).register(in: registry)

        let router = Router()
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.add(middleware: MetricsMiddleware())
        router.get("/health/live") { _, _ in
            Self.json(status: .ok, #"{"status":"live"}"#)
        }
        router.get("/health/ready") { _, _ in
            let report = readiness.report()
            return EditedResponse(status: report.isReady ? .ok : .serviceUnavailable, response: report)
        }
        router.get("/metrics") { _, _ in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(8192)
            registry.emit(into: &bytes)
            ProcessMetrics.sample()?.emit(into: &bytes)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
            )
        }
        self.router = router
    }

    /// The application, bound to the configured host and port. It logs `http server listening host=… port=…` with
    /// the port actually bound (useful with port 0). Hummingbird's own info lines ("Server started…") are hidden
    /// unless the configured level is `debug` or lower, so that the service's log reads as the service's.
    public func build() -> Application<RouterResponder<BasicRequestContext>> {
        var serverLogger = logger
        if serverLogger.logLevel > .debug {
            serverLogger.logLevel = max(serverLogger.logLevel, .notice)
        }
        let logger = self.logger
        let host = configuration.httpHost
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: configuration.httpPort), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? -1
                logger.info("http server listening", metadata: [LogKey.host: "\(host)", LogKey.port: "\(port)"])
            },
            logger: serverLogger
        )
    }

    private static func json(status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body))
        )
    }
}

extension Readiness.Report: ResponseEncodable {}
