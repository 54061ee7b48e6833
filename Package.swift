// swift-tools-version:6.0
// A learned image codec toolkit: a convolutional autoencoder as an image codec.
// Layers, bottom up: C shims (CZlib, CPNG, CBLAS) -> AENet (network library)
// -> AECodec (image I/O, bundles, latent files; later issues) -> thin executables.
import PackageDescription

let package = Package(
    name: "AECodec",
    products: [
        .library(name: "AENet", targets: ["AENet"]),
        .library(name: "AECodec", targets: ["AECodec"]),
        .library(name: "AEEntropyCoding", targets: ["AEEntropyCoding"]),
        .executable(name: "aeenc", targets: ["aeenc"]),
        .executable(name: "aedec", targets: ["aedec"]),
        .executable(name: "aetrain", targets: ["aetrain"]),
        .executable(name: "aeinfo", targets: ["aeinfo"]),
        .executable(name: "aebench", targets: ["aebench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries, each wrapped by a module map.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS",
                       providers: [.apt(["libopenblas-dev"])]),
        // glibc's <malloc.h> (mallopt), part of libc6-dev.
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),

        // SIGINT/SIGTERM handlers in C (async-signal-safe: work whatever the threads are doing).
        .target(name: "CInterrupt"),

        // The network library: tensors, layers (forward and backward), loss, optimizer, training.
        .target(name: "AENet", dependencies: ["CBLAS", "CMalloc"]),

        // The range coder over integer CDF tables (Specs/range-coder.md); depends on nothing.
        .target(name: "AEEntropyCoding", swiftSettings: [.swiftLanguageMode(.v6)]),

        // The built-in model bundles (Sources/CModels/models), embedded with C23 #embed.
        .target(name: "CModels"),

        // The codec library: image I/O, tiling, model bundle, latent file, datasets.
        .target(name: "AECodec", dependencies: ["AENet", "CZlib", "CPNG", "CModels", "CInterrupt"]),

        // Command-line pieces the codec tools share (options declared once).
        .target(name: "AECommandLine", dependencies: [
            "AENet", "AECodec", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // Thin executables.
        .executableTarget(name: "aeenc", dependencies: [
            "AENet", "AECodec", "AECommandLine", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "aedec", dependencies: [
            "AENet", "AECodec", "AECommandLine", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "aetrain", dependencies: [
            "AENet", "AECodec", "AECommandLine", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "aeinfo", dependencies: [
            "AENet", "AECodec", "AECommandLine", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "aebench", dependencies: [
            "AENet", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // What each fuzz target does with an input, shared with FuzzRegressionTests.
        .target(name: "FuzzChecks", dependencies: ["AECodec", "AENet"], path: "Fuzz/FuzzChecks"),

        .testTarget(name: "AENetTests", dependencies: ["AENet", "AEEntropyCoding"]),
        .testTarget(name: "AECodecTests", dependencies: ["AECodec", "AENet", "FuzzChecks"]),
        .testTarget(name: "AEEntropyCodingTests", dependencies: ["AEEntropyCoding"]),
    ],
    swiftLanguageModes: [.v5]
)

// libFuzzer targets, one per reader (Fuzz/README.md, Scripts/fuzz.sh). Declared only
// with AECODEC_FUZZ=1: they link libFuzzer's main, so a plain build must not see them.
if Context.environment["AECODEC_FUZZ"] == "1" {
    package.targets.append(.systemLibrary(name: "CFuzzerDriver", path: "Fuzz/CFuzzerDriver"))
    for name in ["FuzzLatentFile", "FuzzModelBundle", "FuzzMATFile", "FuzzNpyFile", "FuzzPNG"] {
        package.targets.append(.executableTarget(name: name, dependencies: ["FuzzChecks", "CFuzzerDriver"],
                                                 path: "Fuzz/\(name)"))
    }
}
