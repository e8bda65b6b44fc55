import Foundation
import NeuralNets
import TensorCore
import TFLiteRuntime
import Training

/// How weights are stored in the exported file.
public enum TFLiteQuantization: String, CaseIterable, Sendable {
    /// float32 everywhere.
    case none
    /// Weights and biases as FLOAT16 buffers, each followed by a DEQUANTIZE to float32 (half the size).
    case float16
    /// FULLY_CONNECTED weights as INT8, symmetric, one scale per output row; LiteRT runs them with
    /// its hybrid kernel (inputs quantised per row at run time). Convolution weights stay float32.
    case dynamicInt8 = "dynamic-int8"
}

public enum TFLiteExportError: Error, CustomStringConvertible, Equatable {
    /// The model has a feature the exported graph cannot express (which, and why).
    case unsupported(architecture: String, reason: String)
    /// The file could not be written; `reason` in the shared words ("cannot write: permission denied").
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unsupported(architecture, reason): return "cannot export this \(architecture) model to TFLite: \(reason)"
        case let .writeFailed(path, reason): return "\(path): \(reason)"
        }
    }
}

/// Writes a trained `SequenceClassifier` as a TFLite flatbuffer (builtin operators only) with the
/// aslsh I/O contract: inputs `landmarks` float32 [B, T, 21, 3] and `mask` float32 [B, T]
/// (1 = frame has a hand, 0 = padding; LSTM treats mask > 0 as valid only for 0/1 masks) → output
/// `logits` float32 [B, C]. The file is built for batch `batchSize`; LiteRT can resize the batch
/// axis (`resize_tensor_input`) because every RESHAPE uses −1 for it. Metadata entries: `"aslsh"`
/// (ModelMetadata JSON, UTF-8) and `"labels"` (one label per line).
public enum TFLiteExporter {
    /// Operators each architecture's graph uses (for docs and tests).
    public static func operators(for architecture: Architecture) -> [BuiltinOperator] {
        switch architecture {
        case .mlp: return [.reshape, .mul, .fullyConnected]
        case .tcn: return [.reshape, .pad, .conv2D, .add, .mul, .mean, .sub, .div, .reduceMax, .fullyConnected]
        case .lstm: return [.reshape, .sub, .gather, .concatenation, .fullyConnected, .logistic, .tanh, .mul, .add, .mean, .div, .reduceMax]
        case .transformer: return [.reshape, .pad, .conv2D, .add, .sub, .mul, .mean, .rsqrt, .fullyConnected, .transpose,
                                   .batchMatMul, .softmax, .gelu, .div, .reduceMax]
        }
    }

    /// The builtin operators a model of `config` uses: its architecture's, and for handshape
    /// distances (`--features distances`) FULLY_CONNECTED, MUL, SQRT and CONCATENATION.
    public static func operators(for config: ModelConfig) -> [BuiltinOperator] {
        let base = operators(for: config.architecture)
        guard config.features != [.coords] else { return base }
        return base + [.reshape, .fullyConnected, .mul, .sqrt, .concatenation].filter { !base.contains($0) }
    }

    public static func export(model: SequenceClassifier, metadata: ModelMetadata, quantization: TFLiteQuantization = .none,
                              batchSize: Int = 1) throws -> Data {
        Data(try spec(model: model, metadata: metadata, quantization: quantization, batchSize: batchSize).serialized)
    }

    /// Exports and writes atomically (temp file + rename), creating the directory.
    public static func write(model: SequenceClassifier, metadata: ModelMetadata, quantization: TFLiteQuantization = .none,
                             batchSize: Int = 1, to url: URL) throws {
        let data = try export(model: model, metadata: metadata, quantization: quantization, batchSize: batchSize)
        do { try OutputFile.write(data, to: url) } catch let problem as FileProblem {
            throw TFLiteExportError.writeFailed(path: problem.path, reason: problem.reason)
        }
    }

    /// The model as a `TFLiteModelSpec` (before serialisation).
    public static func spec(model: SequenceClassifier, metadata: ModelMetadata, quantization: TFLiteQuantization = .none,
                            batchSize: Int = 1) throws -> TFLiteModelSpec {
        let c = model.config
        guard batchSize >= 1 else { throw TFLiteExportError.unsupported(architecture: c.architecture.rawValue, reason: "batch size \(batchSize)") }
        guard let layout = FrameLayout(values: c.featureCount) else {
            throw TFLiteExportError.unsupported(architecture: c.architecture.rawValue,
                                                reason: "\(c.featureCount) features per frame; the I/O contract is K×3 landmarks, K one of \(FrameLayout.known)")
        }
        var g = GraphBuilder(quantization: quantization)
        let landmarks = g.named("landmarks", [batchSize, c.sequenceLength, layout.points, 3])
        let mask = g.named("mask", [batchSize, c.sequenceLength])
        let weights = WeightSource(model.parameters)
        let logits: Int
        switch c.architecture {
        case .mlp: logits = try MLPGraph.build(&g, c, weights, landmarks: landmarks, mask: mask)
        case .tcn: logits = try TCNGraph.build(&g, c, weights, landmarks: landmarks, mask: mask)
        case .lstm: logits = try LSTMGraph.build(&g, c, weights, landmarks: landmarks, mask: mask)
        case .transformer: logits = try TransformerGraph.build(&g, c, weights, landmarks: landmarks, mask: mask)
        }
        let json = try metadata.jsonString()
        return TFLiteModelSpec(tensors: g.tensors, operators: g.operators, inputs: [landmarks, mask], outputs: [logits],
                               description: "aslsh \(c.architecture.rawValue) classifier (\(quantization.rawValue))",
                               metadata: [(ModelMetadata.key, Array(json.utf8)),
                                          ("labels", Array(metadata.labelNames.joined(separator: "\n").utf8))])
    }
}

extension TFLiteModelSpec {
    var serialized: [UInt8] { TFLiteWriter.serialize(self) }
}

/// Parameter values by PyTorch state_dict name.
struct WeightSource {
    let store: ParameterStore
    init(_ store: ParameterStore) { self.store = store }

    func callAsFunction(_ name: String) throws -> [Float] {
        guard let t = store.tensor(name) else {
            throw TFLiteExportError.unsupported(architecture: "model", reason: "parameter \(name) is missing")
        }
        return t.scalars
    }
}
