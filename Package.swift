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

/// No build-time CPU detection: every target compiles for baseline x86-64, and the hot float
/// kernels (CKernels) carry a portable and an AVX build chosen at run time by CPUID, so one binary
/// runs on any x86-64 CPU with the same results. `-ffp-contract=off` keeps a·b + c two roundings on
/// every path (a fused multiply-add would change the sums between CPUs with and without FMA).
let kernelCSettings: [CSetting] = [.unsafeFlags(["-ffp-contract=off", "-fno-math-errno", "-O2"])]

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
        // FFmpeg's headers only: the libraries are loaded on first use by FFmpegLoader.
        .systemLibrary(name: "CFFmpeg", path: "Sources/CFFmpeg",
                       providers: [.apt(["libavformat-dev libavdevice-dev libavcodec-dev libswscale-dev"])]),
        systemLibrary("CTurboJPEG", pkgConfig: "libturbojpeg", apt: "libturbojpeg0-dev"),
        systemLibrary("CPNG", pkgConfig: "libpng", apt: "libpng-dev"),
        systemLibrary("CEditLine", pkgConfig: "libedit", apt: "libedit-dev"),
        systemLibrary("CFreeType", pkgConfig: "freetype2", apt: "libfreetype-dev"),
        // ZeroMQ and OpenSSL's headers only: the Jupyter kernel loads the libraries when it starts (JupyterLoader).
        .systemLibrary(name: "CZMQ", path: "Sources/CZMQ", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", providers: [.apt(["libssl-dev"])]),

        .target(name: "CKernels", cSettings: kernelCSettings),
        // dlopen on first use, for libraries the shell's start-up should not load (OpenBLAS, FFmpeg, ZeroMQ, libcrypto).
        .target(name: "LazyLibrary", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "FFmpegLoader", dependencies: ["LazyLibrary"]),
        // OpenBLAS's CBLAS, declared by us and dlopen'd on the first product, after checking any
        // OPENBLAS_CORETYPE against the CPU (CKernels' CPUID) — never a kernel the CPU cannot run.
        .target(name: "CBLAS", dependencies: ["LazyLibrary", "CKernels"]),
        .target(name: "JupyterLoader", dependencies: ["LazyLibrary", "CZMQ", "COpenSSL"]),
        .target(name: "TensorCore",
                dependencies: ["CBLAS", "CKernels", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),

        .target(name: "Hands", dependencies: ["TensorCore", "TFLiteRuntime", "Media", "CKernels"]),
        .target(name: "HandSynthesis", dependencies: ["TensorCore", "Datasets"]),
        .target(name: "Media", dependencies: ["CFFmpeg", "FFmpegLoader", "CTurboJPEG", "CPNG", "TensorCore"]),
        .target(name: "Pipeline", dependencies: ["Media", "TensorCore"]),
        // Datasets: landmark manifest, normaliser, importers, `build` → train/val/test .npz, loader.
        .target(name: "Datasets", dependencies: ["TensorCore"]),

        .target(name: "LandmarkExtraction", dependencies: ["Hands", "Media", "Datasets", "Pipeline"]),

        .target(name: "JobControl"),
        .target(name: "Shell", dependencies: ["JobControl", "TensorCore", "CEditLine", "Datasets", "HandSynthesis",
                                             "Hands", "LandmarkExtraction", "Pipeline", "Media", "Plot", "Training", "ONNXExport",
                                             "TFLiteExport", "Inference"]),
        // The Jupyter kernel (`aslsh kernel`): messaging protocol 5.3 over ZeroMQ, cells run in a Session.
        .target(name: "JupyterKernel", dependencies: ["Shell", "JobControl", "TensorCore", "Media", "CZMQ", "COpenSSL", "JupyterLoader"]),
        .executableTarget(name: "aslsh", dependencies: ["Shell", "JupyterKernel", "TensorCore"]),

        .target(name: "TFLiteRuntime", dependencies: ["TensorCore", "CBLAS", "CKernels"]),
        .executableTarget(name: "aslsh-bench", dependencies: ["TensorCore", "TFLiteRuntime", "Media", "Pipeline", "Shell", "Datasets", "Plot", "NeuralNets", "Hands", "LandmarkExtraction",
                                                                 "Inference", "Training", "ONNXExport"]),

        // libFuzzer targets for every reader: `make fuzz` builds this with -sanitize=fuzzer,address (scripts/fuzz.sh);
        // a normal build gives a replayer that runs saved inputs through the same targets.
        .executableTarget(name: "aslsh-fuzz", dependencies: ["TensorCore", "TFLiteRuntime", "ONNXExport", "Training", "Pipeline",
                                                            "Datasets", "Media", "Shell"]),

        .target(name: "Plot", dependencies: ["TensorCore", "CPNG", "CFreeType"]),
        .target(name: "NeuralNets", dependencies: ["TensorCore", "CBLAS", "CKernels"]),
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
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Media", "TestSupport", "LandmarkExtraction", "Datasets", "TensorCore"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "TensorCore", "TestSupport"]),
        .testTarget(name: "LandmarkExtractionTests", dependencies: ["LandmarkExtraction", "Datasets", "Hands", "TestSupport"]),
        .testTarget(name: "JobControlTests", dependencies: ["JobControl"]),
        .testTarget(name: "ShellTests", dependencies: ["Shell", "Hands", "JobControl", "TensorCore", "TestSupport", "JupyterKernel", "Media"],
                    exclude: ["Scripts"]),
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
                    dependencies: ["CBLAS", "CFFmpeg", "FFmpegLoader", "CTurboJPEG", "CPNG", "CEditLine"]),
    ],
    swiftLanguageModes: [.v5]
)
