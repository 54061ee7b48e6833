// swift-tools-version:6.0
// The README's library example as a package of its own, which uses the libraries as any
// other package would: Scripts/check-readme-example.sh builds and runs it.
import PackageDescription

let package = Package(
    name: "CodecExample",
    dependencies: [
        // A checkout of this repository (or .package(url: "<its git URL>", branch: "main")).
        .package(name: "AECodec", path: "../.."),
    ],
    targets: [
        .executableTarget(name: "CodecExample", dependencies: [
            .product(name: "AEBase", package: "AECodec"),
            .product(name: "AECodec", package: "AECodec"),
            .product(name: "AEFormats", package: "AECodec"),
        ]),
    ]
)
