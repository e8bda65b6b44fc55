// swift-tools-version:6.0
// aslsh — American Sign Language recognition from hand landmarks, in one native program.
// Module map (see README "Layout"): C shims → TensorCore → {Media, TFLiteRuntime, NeuralNets, Plot}
// → {Hands, Pipeline, Training, Export, Inference} → Shell → aslsh.
import PackageDescription

/// One thin system-library target per C library: `module.modulemap` + `shim.h`, nothing else.
func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, path: "Sources/\(name)", pkgConfig: pkgConfig,
                   providers: [.apt([apt])])
}

let package = Package(
    name: "aslsh",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "aslsh", targets: ["aslsh"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        systemLibrary("CBLAS", pkgConfig: "openblas", apt: "libopenblas-dev"),
        systemLibrary("CFFmpeg", pkgConfig: "libavformat libavcodec libswscale libavutil",
                      apt: "libavformat-dev libavcodec-dev libswscale-dev"),
        systemLibrary("CTurboJPEG", pkgConfig: "libturbojpeg", apt: "libturbojpeg0-dev"),
        systemLibrary("CPNG", pkgConfig: "libpng", apt: "libpng-dev"),
        systemLibrary("CEditLine", pkgConfig: "libedit", apt: "libedit-dev"),

        .target(name: "TensorCore",
                dependencies: ["CBLAS", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),

        .target(name: "NeuralNets", dependencies: ["TensorCore", "CBLAS"]),

        .executableTarget(name: "aslsh",
                          dependencies: ["TensorCore",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        .executableTarget(name: "aslsh-bench", dependencies: ["NeuralNets", "TensorCore"]),

        .target(name: "TestSupport", dependencies: ["TensorCore"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TestSupport"]),
        .testTarget(name: "NeuralNetsTests", dependencies: ["NeuralNets", "TensorCore", "TestSupport"],
                    exclude: ["Goldens"]),
        .testTarget(name: "SystemLibraryTests",
                    dependencies: ["CBLAS", "CFFmpeg", "CTurboJPEG", "CPNG", "CEditLine"]),
    ],
    swiftLanguageModes: [.v5]
)
