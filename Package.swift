// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Sextant",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sextant", targets: ["sextant"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CZeroMQ",
            pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]
        ),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CLAPACK",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"]),
        .target(name: "SeededRandom"),
        .target(name: "Timekeeping"),
        .target(name: "TrialModel", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(name: "GaussianProcess", dependencies: ["CLAPACK", "SeededRandom"]),
        .target(name: "Samplers", dependencies: ["TrialModel", "GaussianProcess", "SeededRandom"]),
        .target(name: "Pruning", dependencies: ["TrialModel"]),
        .target(name: "WireProtocol", dependencies: ["TrialModel"]),
        .target(name: "Transport"),
        .target(name: "ZeroMQTransport", dependencies: ["Transport", "ZeroMQ"]),
        .target(name: "TransportTesting", dependencies: ["Transport"]),
        .target(name: "Storage", dependencies: ["TrialModel", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(
            name: "Coordinator",
            dependencies: [
                "TrialModel", "Samplers", "Pruning", "WireProtocol", "Storage", "Transport", "Timekeeping",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Worker",
            dependencies: [
                "TrialModel", "WireProtocol", "Transport", "Timekeeping",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "Trainers", dependencies: ["TrialModel", "SeededRandom", "CLAPACK", "CZlib"]),
        .target(
            name: "Dashboard",
            dependencies: [
                "TrialModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "sextant",
            dependencies: [
                "TrialModel", "Samplers", "Pruning", "WireProtocol", "Storage", "Coordinator", "Worker", "Trainers",
                "Transport", "ZeroMQ", "ZeroMQTransport", "Timekeeping", "Dashboard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        
        .executableTarget(
            name: "sextant-bench",
            dependencies: [
                "ZeroMQ", "Transport", "ZeroMQTransport", "TrialModel", "Samplers", "Pruning", "GaussianProcess", "SeededRandom", "Trainers",
                .product(name: "ArgumentParser", package: "swift-argument-parser")],
            exclude: ["peers", "scripts", "lcbench"]
        ),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"]),
        .testTarget(
            name: "TransportTests",
            dependencies: ["Transport", "TransportTesting", "ZeroMQTransport", "ZeroMQ", "Timekeeping"]
        ),
        .testTarget(name: "TrialModelTests", dependencies: ["TrialModel"]),

        .testTarget(
            name: "GaussianProcessTests", dependencies: ["GaussianProcess", "SeededRandom"], exclude: ["make_gp_fixtures.py"]
        ),
        .testTarget(
            name: "SamplersTests", dependencies: ["Samplers", "TrialModel", "GaussianProcess", "SeededRandom"],
            exclude: ["make_logei_fixtures.py"]
        ),
        .testTarget(name: "PruningTests", dependencies: ["Pruning", "TrialModel"]),
        .testTarget(name: "WireProtocolTests", dependencies: ["WireProtocol", "TrialModel", "SeededRandom"]),
        .testTarget(
            name: "StorageTests", dependencies: ["Storage", "TrialModel", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "CoordinatorTests",
            dependencies: [
                "Coordinator", "Storage", "Samplers", "Pruning", "TrialModel", "WireProtocol", "Transport",
                "TransportTesting", "Timekeeping", "SeededRandom",
            ]
        ),
        .testTarget(
            name: "WorkerTests",
            dependencies: ["Worker", "TrialModel", "WireProtocol", "Transport", "TransportTesting", "Timekeeping"]
        ),
        .testTarget(name: "TrainersTests", dependencies: ["Trainers", "TrialModel"]),
        .testTarget(name: "DashboardTests", dependencies: ["Dashboard", "TrialModel", "SeededRandom"]),
        .testTarget(name: "EndToEndTests", dependencies: ["TrialModel"]),
    ]
)

// Strict settings for every target, in one place.
for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.swiftLanguageMode(.v6))
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    // `make test` builds with every warning an error, so none creeps in unnoticed.
    if Context.environment["SEXTANT_WARNINGS_AS_ERRORS"] == "1" {
        settings.append(.unsafeFlags(["-warnings-as-errors"]))
    }
    target.swiftSettings = settings
}
