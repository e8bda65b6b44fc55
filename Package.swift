// swift-tools-version:6.0
// aslsh — American Sign Language recognition from hand landmarks, in one native program.
// Module map (see README "Layout"): C shims → TensorCore → {Media, TFLiteRuntime, NeuralNets, Plot}
// → {Hands, Pipeline, Training, Export, Inference} → Shell → aslsh.
import Foundation
import PackageDescription

/// One thin system-library target per C library: `module.modulemap` + `shim.h`, nothing else.
func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, path: "Sources/\(name)", pkgConfig: pkgConfig,
                   providers: [.apt([apt])])
}

/// Code generation for the TFLite and NN kernels: Haswell's AVX2 when the building machine has it (read
/// from /proc/cpuinfo, like -march=native: the binary is for the machine that builds it), so
/// SIMD8<Float> is one ymm register instead of two SSE halves. Swift never contracts a·b + c into
/// an FMA, so results are bit-identical to the baseline build — except where NeuralNets' prediction
/// kernels ask for fused multiply-adds (`Kernels.multiplyAdd`), which they do only when
/// `ASLSH_FMA` is defined (here), since without the instruction each lane would be a libm call. `ASLSH_PORTABLE=1 swift build`
/// makes a binary for any x86-64 CPU (e.g. to copy to an older machine).
#if arch(x86_64)
let hostHasAVX2 = ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")
    .split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").contains("avx2") ?? false
let vectorISA: [SwiftSetting] = ProcessInfo.processInfo.environment["ASLSH_PORTABLE"] == "1" || !hostHasAVX2
    ? [] : [.unsafeFlags(["-target-cpu", "haswell"]), .define("ASLSH_FMA")]
#else
let vectorISA: [SwiftSetting] = []
#endif

let package = Package(
    name: "aslsh",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "aslsh", targets: ["aslsh"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "Datasets", targets: ["Datasets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        systemLibrary("CBLAS", pkgConfig: "openblas", apt: "libopenblas-dev"),
        systemLibrary("CFFmpeg", pkgConfig: "libavformat libavdevice libavcodec libswscale libavutil",
                      apt: "libavformat-dev libavdevice-dev libavcodec-dev libswscale-dev"),
        systemLibrary("CTurboJPEG", pkgConfig: "libturbojpeg", apt: "libturbojpeg0-dev"),
        systemLibrary("CPNG", pkgConfig: "libpng", apt: "libpng-dev"),
        systemLibrary("CEditLine", pkgConfig: "libedit", apt: "libedit-dev"),
        systemLibrary("CFreeType", pkgConfig: "freetype2", apt: "libfreetype-dev"),

        .target(name: "TensorCore",
                dependencies: ["CBLAS", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),

        .target(name: "Hands", dependencies: ["TensorCore", "TFLiteRuntime", "Media"]),
        .target(name: "HandSynthesis", dependencies: ["TensorCore", "Datasets"]),
        .target(name: "Media", dependencies: ["CFFmpeg", "CTurboJPEG", "CPNG"]),
        .target(name: "Pipeline", dependencies: ["Media", "TensorCore"]),
        // Datasets: landmark manifest, normaliser, importers, `build` → train/val/test .npz, loader.
        .target(name: "Datasets", dependencies: ["TensorCore"]),

        .target(name: "LandmarkExtraction", dependencies: ["Hands", "Media", "Datasets", "Pipeline"]),

        .target(name: "JobControl"),
        .target(name: "Shell", dependencies: ["JobControl", "TensorCore", "CEditLine", "Datasets", "HandSynthesis",
                                             "Hands", "LandmarkExtraction", "Pipeline", "Media", "Plot", "Training", "ONNXExport",
                                             "TFLiteExport", "Inference"]),
        .executableTarget(name: "aslsh", dependencies: ["Shell"]),

        // AVX2 for the TFLite kernels (see `vectorISA`).
        .target(name: "TFLiteRuntime", dependencies: ["TensorCore", "CBLAS"], swiftSettings: vectorISA),
        .executableTarget(name: "aslsh-bench", dependencies: ["TensorCore", "TFLiteRuntime", "Media", "Pipeline", "Shell", "Datasets", "Plot", "NeuralNets", "Hands", "LandmarkExtraction",
                                                                 "Inference", "Training", "ONNXExport"]),

        .target(name: "Plot", dependencies: ["TensorCore", "CPNG", "CFreeType"]),
        // The layers' elementwise kernels (SIMD8 exp/sigmoid/tanh, ReLU, dropout) get AVX2 like TFLite's.
        .target(name: "NeuralNets", dependencies: ["TensorCore", "CBLAS"], swiftSettings: vectorISA),
        .target(name: "Training", dependencies: ["NeuralNets", "Datasets", "TensorCore"]),
        // ONNX export/import; Generated/onnx.pb.swift is committed (scripts/regenerate-onnx-proto.sh), no build-time plugin.
        .target(name: "ONNXExport", dependencies: ["Training", "NeuralNets", "TensorCore",
                                                   .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(name: "TFLiteExport", dependencies: ["Training", "NeuralNets", "TFLiteRuntime", "TensorCore"]),
        // Inference: ASLPredictor over a checkpoint / TFLite (/ ONNX) backend, from landmarks, images or video.
        .target(name: "Inference", dependencies: ["Training", "NeuralNets", "Datasets", "TensorCore", "TFLiteRuntime",
                                                  "Hands", "Media", "LandmarkExtraction", "ONNXExport"]),


        .target(name: "TestSupport", dependencies: ["TensorCore"], path: "Tests/TestSupport"),
        // synth → build in one call, for the test targets that train on synthetic letters.
        .target(name: "SyntheticFixtures", dependencies: ["HandSynthesis", "Datasets"], path: "Tests/SyntheticFixtures"),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TestSupport"]),
        .testTarget(name: "HandsTests", dependencies: ["Hands", "Media", "TestSupport", "CTurboJPEG"]),
        .testTarget(name: "HandSynthesisTests", dependencies: ["HandSynthesis", "TestSupport"]),
        .testTarget(name: "TFLiteRuntimeTests", dependencies: ["TFLiteRuntime", "TensorCore", "TestSupport"]),
        .testTarget(name: "MediaTests", dependencies: ["Media", "TestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Media", "TestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "TensorCore", "TestSupport"]),
        .testTarget(name: "LandmarkExtractionTests", dependencies: ["LandmarkExtraction", "Datasets", "Hands", "TestSupport"]),
        .testTarget(name: "JobControlTests", dependencies: ["JobControl"]),
        .testTarget(name: "ShellTests", dependencies: ["Shell", "JobControl", "TensorCore", "TestSupport"]),
        .testTarget(name: "PlotTests", dependencies: ["Plot", "TestSupport"]),
        .testTarget(name: "NeuralNetsTests", dependencies: ["NeuralNets", "TensorCore", "TestSupport"],
                    exclude: ["Goldens"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "NeuralNets", "Datasets", "HandSynthesis", "Shell", "TestSupport", "SyntheticFixtures"]),
        .testTarget(name: "ONNXExportTests", dependencies: ["ONNXExport", "Training", "NeuralNets", "Datasets", "HandSynthesis",
                                                            "Shell", "TestSupport", "SyntheticFixtures"],
                    exclude: ["Scripts"]),
        .testTarget(name: "TFLiteExportTests", dependencies: ["TFLiteExport", "TFLiteRuntime", "Training", "NeuralNets",
                                                          "Datasets", "HandSynthesis", "TensorCore", "TestSupport", "SyntheticFixtures", "Shell"],
                    exclude: ["litert_run.py"]),
        .testTarget(name: "InferenceTests", dependencies: ["Inference", "Training", "NeuralNets", "Datasets", "HandSynthesis",
                                                           "TFLiteRuntime", "Media", "Hands", "LandmarkExtraction",
                                                           "ONNXExport", "TFLiteExport", "Shell", "TestSupport", "SyntheticFixtures"]),
        .testTarget(name: "SystemLibraryTests",
                    dependencies: ["CBLAS", "CFFmpeg", "CTurboJPEG", "CPNG", "CEditLine"]),
    ],
    swiftLanguageModes: [.v5]
)
