// swift-tools-version:6.2
import PackageDescription

// Kakusa: three services (ingester, aggregator, alerter) that meet only on Kafka topics,
// standing on three shared libraries, plus `devbroker`, Kakusa's embedded Kafka broker on loopback.

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "kakusa",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ingester", targets: ["Ingester"]),
        .executable(name: "aggregator", targets: ["Aggregator"]),
        .executable(name: "alerter", targets: ["Alerter"]),
        .executable(name: "devbroker", targets: ["DevBroker"]),
        .executable(name: "kafka-bench", targets: ["KafkaBench"]),
        .library(name: "KakusaKafka", targets: ["KakusaKafka"]),
        .library(name: "KakusaEvents", targets: ["KakusaEvents"]),
        .library(name: "KakusaService", targets: ["KakusaService"]),
    ],
    dependencies: [
        // Exact, so the image gets the versions the tests ran with; deploy/resolved-versions.txt holds the rest.
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        // Already resolved through Hummingbird; named so that KakusaService may import NIOCore (Channel) directly.
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
    ],
    targets: [
        // The C in the house, found by pkg-config: librdkafka 2.0.2 from Debian's librdkafka-dev, and libcrypto below.
        .systemLibrary(
            name: "CRdKafka",
            path: "Shared/CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        // OpenSSL's libcrypto (Debian's libssl-dev) for record ids' SHA-256, with its context on the stack: through
        // swift-crypto, which allocates a context object per hash, 1M ids took 0.42-0.63 s against 0.17-0.19 s (an id
        // a record in the ingester and the aggregator). swift-crypto stays for the alerter's HMAC.
        .systemLibrary(
            name: "CLibCrypto",
            path: "Shared/CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // zlib (Debian's zlib1g-dev) for the devbroker's compactor: gzip batches are inflated, filtered and deflated.
        .systemLibrary(
            name: "CZlib",
            path: "Shared/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "KakusaKafka",
            dependencies: [
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Shared/KakusaKafka",
            swiftSettings: swiftSettings
        ),
        // The embedded Kafka broker behind `devbroker`: Kafka's wire protocol, logs, groups and transactions on
        // SwiftNIO. Only the devbroker and the tests use it; no service imports it.
        .target(
            name: "KafkaDevBroker",
            dependencies: [
                "CLibCrypto", "CZlib",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Shared/KafkaDevBroker",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KakusaEvents",
            dependencies: ["CLibCrypto"],
            path: "Shared/KakusaEvents",
            exclude: ["Schemas"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KakusaService",
            dependencies: [
                "KakusaKafka", "KakusaEvents",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Shared/KakusaService",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "Ingester",
            dependencies: [
                "KakusaKafka", "KakusaEvents", "KakusaService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Services/Ingester",
            swiftSettings: swiftSettings,
            // jemalloc (Debian's libjemalloc-dev): librdkafka allocates each message and each of its six headers
            // on the publishing thread and frees them on the delivery thread, which glibc's arenas serialise.
            // Measured: 15-25% off `scripts/bench ingest`.
            linkerSettings: [.linkedLibrary("jemalloc")]
        ),
        .executableTarget(
            name: "Aggregator",
            dependencies: [
                "KakusaKafka", "KakusaEvents", "KakusaService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Services/Aggregator",
            swiftSettings: swiftSettings,
            // jemalloc, as the ingester: with the batch's allocations cut, glibc's malloc and free (librdkafka's
            // per message and header, the consumer's per record) were ~40% of the CPU outside the derivation.
            // Measured: 1-8% less time in `scripts/bench aggregate`'s setup without the peer, three paired runs.
            linkerSettings: [.linkedLibrary("jemalloc")]
        ),
        .executableTarget(
            name: "Alerter",
            dependencies: [
                "KakusaKafka", "KakusaEvents", "KakusaService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/Alerter",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "DevBroker",
            dependencies: [
                "KafkaDevBroker", "KakusaEvents",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Services/DevBroker",
            swiftSettings: swiftSettings
        ),
        // Throughput driver for scripts/bench, not shipped.
        .executableTarget(
            name: "KafkaBench",
            dependencies: [
                "KakusaKafka",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tools/KafkaBench",
            swiftSettings: swiftSettings
        ),
        // Starts the package's executables for the tests that need the real processes.
        .target(
            name: "KakusaTestSupport",
            dependencies: ["KafkaDevBroker", .product(name: "Logging", package: "swift-log")],
            path: "Tests/KakusaTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KakusaKafkaTests",
            dependencies: ["KakusaTestSupport", "KakusaKafka"],
            path: "Tests/KakusaKafkaTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KafkaDevBrokerTests",
            dependencies: [
                "KakusaTestSupport", "KafkaDevBroker", "KakusaKafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/KafkaDevBrokerTests",
            exclude: ["Clients"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KakusaEventsTests",
            dependencies: ["KakusaTestSupport", "KakusaEvents"],
            path: "Tests/KakusaEventsTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KakusaServiceTests",
            dependencies: [
                "KakusaTestSupport",
                "KakusaService", "KakusaKafka", "KakusaEvents",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/KakusaServiceTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IngesterTests",
            dependencies: [
                "KakusaTestSupport",
                "Ingester", "KakusaKafka", "KakusaEvents",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/IngesterTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AggregatorTests",
            dependencies: [
                "KakusaTestSupport",
                "Aggregator", "KakusaKafka", "KakusaEvents", "KakusaService",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/AggregatorTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AlerterTests",
            dependencies: [
                "KakusaTestSupport",
                "Alerter", "KakusaKafka", "KakusaEvents",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/AlerterTests",
            swiftSettings: swiftSettings
        ),
    ]
)
