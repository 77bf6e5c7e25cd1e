// swift-tools-version:6.0
// libFuzzer targets for mlflow-fcgi (issue #7). A leaf package, so the main build is untouched:
// it depends on the root package by path and is built only by scripts/fuzz, with
//
//   swift build -c release --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address
//
// (with this toolchain, --sanitize=fuzzer --sanitize=address alone gives the Swift code coverage
// instrumentation but not ASan; the -Xswiftc flag adds ASan to every Swift module, the root
// package's included). Each executable is one fuzz target: `@_cdecl("LLVMFuzzerTestOneInput")`
// in a file compiled with -parse-as-library; libFuzzer provides main.
import PackageDescription

let fuzzTarget: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "mlflow-fcgi-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "mlflow-fcgi", path: "..")
    ],
    targets: [
        .target(
            name: "FuzzSupport",
            dependencies: [
                .product(name: "MLflowCore", package: "mlflow-fcgi"),
                .product(name: "TrackingStore", package: "mlflow-fcgi"),
                .product(name: "TrackingAPI", package: "mlflow-fcgi"),
            ]),
        .executableTarget(name: "fuzz-api", dependencies: ["FuzzSupport"], swiftSettings: fuzzTarget),
        .executableTarget(name: "fuzz-request-uri", dependencies: ["FuzzSupport"], swiftSettings: fuzzTarget),
        .executableTarget(name: "fuzz-search", dependencies: ["FuzzSupport"], swiftSettings: fuzzTarget),
        .executableTarget(name: "fuzz-page-token", dependencies: ["FuzzSupport"], swiftSettings: fuzzTarget),
        .executableTarget(name: "fuzz-artifact-path", dependencies: ["FuzzSupport"], swiftSettings: fuzzTarget),
    ]
)
