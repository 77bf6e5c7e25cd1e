// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "mlflow-fcgi",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "mlflow-fcgi", targets: ["mlflow-fcgi"]),
        // For the fuzz package under Fuzz/, which depends on this one by path.
        .library(name: "MLflowCore", targets: ["MLflowCore"]),
        .library(name: "TrackingStore", targets: ["TrackingStore"]),
        .library(name: "TrackingAPI", targets: ["TrackingAPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
    ],
    targets: [
        .systemLibrary(
            name: "CFastCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(
            name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "MLflowCore"),
        .target(name: "TrackingStore", dependencies: ["MLflowCore", "CSQLite"]),
        .target(name: "TrackingAPI", dependencies: ["MLflowCore", "TrackingStore"]),
        .target(name: "FastCGIServer", dependencies: ["CFastCGI"]),
        .executableTarget(
            name: "mlflow-fcgi",
            dependencies: [
                "TrackingAPI", "TrackingStore", "FastCGIServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Expectations shared by the test targets.
        .target(name: "MLflowTestSupport", dependencies: ["MLflowCore"], path: "Tests/MLflowTestSupport"),
        .testTarget(name: "MLflowCoreTests", dependencies: ["MLflowCore", "MLflowTestSupport"]),
        .testTarget(name: "TrackingStoreTests", dependencies: ["TrackingStore", "MLflowTestSupport"]),
        .testTarget(name: "TrackingAPITests", dependencies: ["TrackingAPI"]),
    ]
)
