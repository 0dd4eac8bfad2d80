// swift-tools-version:6.0
// ANASOD Cluster: distributed neural-architecture search by operation-distribution learning
// (Wan et al., arXiv 2111.04670). Dependencies point one way, from the CLI inward to the core:
//   anasod (CLI) -> Cluster -> Evaluation -> Trainer -> ANASOD (core);  system-library shims have no Swift deps.
import PackageDescription

// The trainer's AVX-512 kernels are compiled for skylake-avx512 and only called after a run-time CPU check;
// on other hosts the module builds for the baseline CPU and is never called.
#if arch(x86_64)
let kernelFlags = ["-Ounchecked", "-target-cpu", "skylake-avx512"]
#else
let kernelFlags = ["-Ounchecked"]
#endif

let package = Package(
    name: "ANASODCluster",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "anasod", targets: ["anasod"]),
        .library(name: "ANASOD", targets: ["ANASOD"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
    ],
    targets: [
        // System libraries (installed by scripts/setup.sh).
        .systemLibrary(name: "CZeroMQ", path: "Sources/CZeroMQ",
                       providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CMsgPack", path: "Sources/CMsgPack", pkgConfig: "msgpack",
                       providers: [.apt(["libmsgpack-dev"])]),
        .systemLibrary(name: "CLinearAlgebra", path: "Sources/CLinearAlgebra", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),

        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),

        // The encoding core: no dependencies.
        .target(name: "ANASOD"),
        // Shifted-row convolution micro-kernels (AVX-512, plain Swift SIMD): no dependencies.
        .target(name: "TrainerKernels", swiftSettings: [.unsafeFlags(kernelFlags)]),
        // The CPU trainer: tensors, layers on OpenBLAS, the NB201 network, data, SGD.
        .target(name: "Trainer", dependencies: ["ANASOD", "CLinearAlgebra", "CZlib", "TrainerKernels"],
                // Optimised in every build (the test suite trains real networks), without overflow checks
                // in the inner loops (indices are computed from validated shapes).
                swiftSettings: [.unsafeFlags(["-Ounchecked"])]),
        // Evaluators: benchmark tables, the Swift trainer, external trainer processes.
        .target(name: "Evaluation", dependencies: [
            "ANASOD", "Trainer", .product(name: "Subprocess", package: "swift-subprocess"),
            .product(name: "SystemPackage", package: "swift-system"),
        ]),
        // Gaussian processes, kernels, acquisition functions, batch selection.
        .target(name: "BayesOpt", dependencies: ["ANASOD", "CLinearAlgebra"]),
        // Search strategies: RS, ANASOD-RS, biased RS, LS, RE, one-hot BO, ANASOD-BO.
        .target(name: "Search", dependencies: ["ANASOD", "BayesOpt"]),
        // Wire protocol: msgpack messages (msgpack-c) and the ZeroMQ transport.
        .target(name: "Wire", dependencies: ["ANASOD", "CZeroMQ", "CMsgPack"]),
        // The durable record of a run (SQLite through GRDB): append and replay.
        .target(name: "Journal", dependencies: ["ANASOD", .product(name: "GRDB", package: "GRDB.swift")]),
        // The search cluster: configuration, coordinator, worker, leases, heartbeats.
        .target(name: "Cluster", dependencies: [
            "ANASOD", "BayesOpt", "Search", "Evaluation", "Wire", "Journal", "Trainer",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Subprocess", package: "swift-subprocess"),
            .product(name: "SystemPackage", package: "swift-system"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The live dashboard and Prometheus metrics of a running coordinator (Hummingbird, swift-prometheus).
        .target(name: "Dashboard", dependencies: [
            "ANASOD", "Cluster", "Journal",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The command line: subcommands only.
        .executableTarget(name: "anasod", dependencies: [
            "ANASOD", "Evaluation", "Search", "BayesOpt", "Cluster", "Wire", "Journal", "Trainer", "Dashboard",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // Helpers shared by the test targets (a regular target no product depends on, so nothing of it,
        // and no test framework, reaches `anasod`): offPool, an event inbox, an in-process cluster,
        // `eventually` (the one place a test polls).
        .target(name: "TestSupport", dependencies: [
            "Cluster", "Wire", "Journal", .product(name: "Logging", package: "swift-log"),
        ], path: "Tests/TestSupport"),

        .testTarget(name: "SystemLibraryTests", dependencies: ["CZeroMQ", "CMsgPack", "CLinearAlgebra"]),
        .testTarget(name: "ANASODTests", dependencies: ["ANASOD"]),
        .testTarget(name: "BayesOptTests", dependencies: ["BayesOpt", "ANASOD"]),
        .testTarget(name: "SearchTests", dependencies: ["Search", "ANASOD", "BayesOpt"]),
        .testTarget(name: "WireTests", dependencies: ["Wire", "ANASOD", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "JournalTests", dependencies: ["Journal", "ANASOD", "TestSupport"]),
        .testTarget(name: "ClusterTests", dependencies: [
            "Cluster", "ANASOD", "Wire", "Journal", "Search", "Evaluation", "CZeroMQ", "TestSupport", "Trainer",
        ]),
        .testTarget(name: "TrainerTests", dependencies: ["Trainer", "ANASOD", "CLinearAlgebra", "TestSupport"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "ANASOD", "Search", "Trainer", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["anasod", "TestSupport"]),
        .testTarget(name: "DashboardTests", dependencies: [
            "Dashboard", "Cluster", "Journal", "ANASOD", "Wire", "Evaluation", "TestSupport",
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
        ]),
    ]
)
