import Foundation
import NeuralNets
import TFLiteExport
import Training

/// The TFLite half of `export`: a loaded model → `.tflite` (builtin ops only), with `--quantize`.
/// The `export` command itself (kinds onnx/tflite) is assembled in ExportCommands.swift.
enum TFLiteExportCommand {
    static let defaultOutput = "models/exported/classifier.tflite"

    static let flags: [FlagSpec] = [
        FlagSpec("quantize", .choice(TFLiteQuantization.allCases.map(\.rawValue)),
                 "tflite weights: none (float32), float16 (+DEQUANTIZE), dynamic-int8 (hybrid FULLY_CONNECTED)",
                 default: .string("none")),
    ]

    static func run(_ call: Invocation, model: SequenceClassifier, metadata: ModelMetadata, out: URL?) throws -> Value {
        let quantization = TFLiteQuantization(rawValue: call.string("quantize") ?? "none") ?? .none
        let loaded = (model: model, metadata: metadata)
        let url = out ?? Invocation.resolvePath(defaultOutput)
        do {
            try TFLiteExporter.write(model: loaded.model, metadata: loaded.metadata, quantization: quantization, to: url)
        } catch { throw call.failure("\(error)") }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        let config = loaded.model.config
        call.session.print("exported \(config.architecture.rawValue) (\(config.classCount) classes, T = \(config.sequenceLength), "
                           + "\(quantization.rawValue) weights) → \(LandmarkCommands.relative(url.path))")
        call.session.print("\(bytes) bytes", volatile: true)   // moves with the metadata's timings
        return .record(Record([(key: "path", value: .path(LandmarkCommands.relative(url.path))),
                               (key: "format", value: .string("tflite")),
                               (key: "quantize", value: .string(quantization.rawValue)),
                               (key: "architecture", value: .string(config.architecture.rawValue)),
                               (key: "classes", value: .int(config.classCount)),
                               (key: "sequence_length", value: .int(config.sequenceLength)),
                               (key: "bytes", value: .int(bytes))]))
    }
}
