// swift-tools-version:6.0
// A learned image codec toolkit: a convolutional autoencoder as an image codec.
// Targets, bottom up; each depends only on targets above it in this list (README, "Layout"):
//   C shims     CZlib, CPNG, CJPEG, CWebP, CBLAS, CDNNL, CMalloc, CSyscalls, CInterrupt, CSHA256, CModels
//   AEBase      small helpers every layer shares (number text, PSNR, SSIM, MS-SSIM, SplitMix64)
//   AEEntropyCoding  the range coder over integer CDF tables (depends on nothing)
//   AENet       the network: tensors, kernels, layers, models, training (no files)
//   AEFormats   every byte on disk: safe file I/O, checksums, zlib, PNG, JPEG, WebP, bundles, latent files (no networks)
//   AEData      training and evaluation data sources
//   AECodec     bundles to networks (model families), images to latents, checkpoints, evaluation
//   AEProcess   what a tool process needs: standard streams, terminal, interrupts, allocator, arguments
//   AECommandLine  the jobs the tools run over files and folders, and their shared options
//   aeenc, aedec, aetrain, aeinfo, aebench: thin executables; ReadmeExample: the README's library example
import PackageDescription

let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")

let package = Package(
    name: "AECodec",
    products: [
        .library(name: "AEBase", targets: ["AEBase"]),
        .library(name: "AENet", targets: ["AENet"]),
        .library(name: "AEFormats", targets: ["AEFormats"]),
        .library(name: "AEData", targets: ["AEData"]),
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
        .systemLibrary(name: "CWebP", path: "Sources/CWebP", pkgConfig: "libwebp",
                       providers: [.apt(["libwebp-dev"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS",
                       providers: [.apt(["libopenblas-dev"])]),
        // oneDNN's C API (its convolutions, OpenMP-threaded) and OpenMP's thread count (libgomp).
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL",
                       providers: [.apt(["libdnnl-dev"])]),
        // libjpeg-turbo's decompressor behind setjmp: its errors longjmp, which Swift cannot catch.
        .target(name: "CJPEG", linkerSettings: [.linkedLibrary("jpeg")]),
        // glibc's <malloc.h> (mallopt), part of libc6-dev.
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        // libc calls Swift's Glibc module does not expose (syncfs needs _GNU_SOURCE).
        .target(name: "CSyscalls"),
        // SIGINT/SIGTERM handlers in C (async-signal-safe: work whatever the threads are doing).
        .target(name: "CInterrupt"),
        // SHA-256 for the model fingerprints (C: fast in debug builds too).
        .target(name: "CSHA256"),
        // The built-in model bundles (Sources/CModels/models), embedded with C23 #embed.
        .target(name: "CModels"),

        // The small helpers every layer shares (number text, the quality metrics PSNR, SSIM and MS-SSIM, SplitMix64).
        .target(name: "AEBase", swiftSettings: [.swiftLanguageMode(.v6)]),

        // The range coder over integer CDF tables (Specs/range-coder.md); depends on nothing.
        .target(name: "AEEntropyCoding", swiftSettings: [.swiftLanguageMode(.v6)]),

        // The network library: tensors, kernels, layers (forward and backward), models, training.
        .target(name: "AENet", dependencies: ["AEBase", "CBLAS", "CDNNL"]),

        // Every byte on disk, nothing of networks: safe writes, bounded reads, checksums,
        // zlib, PNG, JPEG and WebP input, the model-bundle container and metadata, the latent file,
        // the built-in bundles, the bundle's entropy tables (read with the range coder, for latent files 2.0).
        .target(name: "AEFormats", dependencies: ["AEBase", "AEEntropyCoding", "CZlib", "CPNG", "CJPEG", "CWebP", "CSyscalls", "CModels", "CSHA256"],
                swiftSettings: [.swiftLanguageMode(.v6)]),

        // Training and evaluation data sources (MAT, npy, PNG folders, SVHN photos, synthetic).
        .target(name: "AEData", dependencies: ["AEBase", "AENet", "AEFormats"], swiftSettings: [.swiftLanguageMode(.v6)]),

        // Bundles to networks (the model-family registry), images to latents, checkpoints,
        // model lookup, evaluation.
        .target(name: "AECodec", dependencies: ["AEBase", "AENet", "AEFormats", "AEData", "AEEntropyCoding"]),

        // What a tool process needs, and no library may do: standard streams, terminal output,
        // signal handling, allocator tuning, argument preflight, error lines.
        .target(name: "AEProcess", dependencies: ["AEFormats", "CMalloc", argumentParser],
                swiftSettings: [.swiftLanguageMode(.v6)]),

        // The jobs the tools run over files and folders (codec, training, report) and the
        // options the codec tools share.
        .target(name: "AECommandLine", dependencies: [
            "AEBase", "AENet", "AEFormats", "AEData", "AECodec", "AEProcess", "CInterrupt", argumentParser]),

        // Thin executables.
        .executableTarget(name: "aeenc", dependencies: ["AEFormats", "AECodec", "AEProcess", "AECommandLine", argumentParser]),
        .executableTarget(name: "aedec", dependencies: ["AEFormats", "AECodec", "AEProcess", "AECommandLine", argumentParser]),
        .executableTarget(name: "aetrain", dependencies: [
            "AENet", "AEFormats", "AEData", "AECodec", "AEProcess", "AECommandLine", argumentParser]),
        // aeinfo reads files only: it links AEFormats (and the range coder), not the network (no BLAS).
        .executableTarget(name: "aeinfo", dependencies: ["AEFormats", "AEProcess", argumentParser]),
        .executableTarget(name: "aebench", dependencies: ["AENet", "AEFormats", "AEProcess", argumentParser]),
        // The README's library example (Examples/CodecExample, also a package of its own that
        // Scripts/check-readme-example.sh builds), built here so that ReadmeExampleTests runs it.
        .executableTarget(name: "ReadmeExample", dependencies: ["AEBase", "AEFormats", "AECodec"],
                          path: "Examples/CodecExample/Sources/CodecExample"),

        // What each fuzz target does with an input, shared with FuzzRegressionTests.
        .target(name: "FuzzChecks", dependencies: ["AENet", "AEFormats", "AEData", "AECodec"], path: "Fuzz/FuzzChecks"),

        // What the test targets share: the fixtures path, temporary folders, a PNG writer,
        // the bytes of bundle files, running a built tool. A regular target used only by tests.
        .target(name: "AETestSupport", dependencies: ["CZlib", "CTestSpawn"], path: "Tests/AETestSupport"),
        // posix_spawn's change of folder and closefrom, which Swift's Glibc module does not expose.
        .target(name: "CTestSpawn", path: "Tests/CTestSpawn"),

        // One test target per library target; each depends on what it tests and AETestSupport.
        .testTarget(name: "AEBaseTests", dependencies: ["AEBase", "AEFormats", "AETestSupport"]),  // AEFormats reads the fixture PNGs
        .testTarget(name: "AEEntropyCodingTests", dependencies: ["AEEntropyCoding", "AETestSupport"]),
        .testTarget(name: "AENetTests", dependencies: ["AEBase", "AENet", "AEEntropyCoding", "AETestSupport"]),
        .testTarget(name: "AEFormatsTests", dependencies: ["AEBase", "AEFormats", "AEEntropyCoding", "AETestSupport"]),
        .testTarget(name: "AEDataTests", dependencies: ["AEBase", "AENet", "AEFormats", "AEData", "AETestSupport"]),
        .testTarget(name: "AECodecTests", dependencies: [
            "AEBase", "AENet", "AEFormats", "AEData", "AECodec", "AEEntropyCoding", "AETestSupport"]),
        .testTarget(name: "AECommandLineTests", dependencies: [
            "AEBase", "AENet", "AEFormats", "AEData", "AECodec", "AEProcess", "AECommandLine", "AETestSupport"]),
        // Tests that run the built executables (aeenc, aedec, aetrain, aeinfo) and scripts:
        // kills, resource limits, hostile inputs, determinism, Keras, fuzz replay.
        .testTarget(name: "ToolTests", dependencies: [
            "AEBase", "AENet", "AEFormats", "AEData", "AECodec", "AEProcess", "AECommandLine", "FuzzChecks",
            "AETestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)

// libFuzzer targets, one per reader (Fuzz/README.md, Scripts/fuzz.sh). Declared only
// with AECODEC_FUZZ=1: they link libFuzzer's main, so a plain build must not see them.
if Context.environment["AECODEC_FUZZ"] == "1" {
    package.targets.append(.systemLibrary(name: "CFuzzerDriver", path: "Fuzz/CFuzzerDriver"))
    for name in ["FuzzLatentFile", "FuzzModelBundle", "FuzzMATFile", "FuzzNpyFile", "FuzzPNG", "FuzzImage", "FuzzImageMetadata"] {
        package.targets.append(.executableTarget(name: name, dependencies: ["FuzzChecks", "CFuzzerDriver"],
                                                 path: "Fuzz/\(name)"))
    }
}
