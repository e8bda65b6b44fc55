import Foundation
import NeuralNets
import SwiftProtobuf
import TensorCore
import Training

/// Loads an ONNX file aslsh wrote back into a `SequenceClassifier`: `metadata_props["aslsh"]` →
/// `ModelConfig` → `makeModel`, then every parameter from its initializer (LSTM gates reordered
/// back from ONNX i,o,f,c to PyTorch i,f,g,o). Anything else — corrupt, truncated, another
/// producer's model — is an `ONNXExportError` naming the file.
public enum ONNXModelReader {
    public static func read(_ url: URL) throws -> (model: SequenceClassifier, metadata: ModelMetadata) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            let problem = FileProblem.reading(url.path, error: error)
            throw ONNXExportError.io(file: problem.path, reason: problem.reason)
        }
        return try decode(data, file: url.path)
    }

    /// SwiftProtobuf's decoding errors in plain words (not `BinaryDecodingError.truncated`).
    static func protobufProblem(_ error: Error) -> String {
        switch error as? BinaryDecodingError {
        case .truncated?: return "truncated"
        case .invalidUTF8?: return "a text field is not UTF-8"
        case .messageDepthLimit?: return "nested too deeply"
        default: return "damaged protobuf data"
        }
    }

    /// "PATH: not a valid checkpoint (aslsh metadata: WHY)" → "WHY".
    static func innerReason(_ text: String) -> String {
        guard let range = text.range(of: "aslsh metadata: ") else { return text }
        var rest = String(text[range.upperBound...])
        if rest.hasSuffix(")") { rest.removeLast() }
        return rest
    }

    /// `file` names the source in errors.
    public static func decode(_ data: Data, file: String) throws -> (model: SequenceClassifier, metadata: ModelMetadata) {
        let proto: Onnx_ModelProto
        do { proto = try Onnx_ModelProto(serializedBytes: data) } catch {
            throw ONNXExportError.notONNX(file: file, reason: "\(protobufProblem(error)); \(data.count) bytes")
        }
        guard proto.hasGraph, !proto.graph.node.isEmpty else {
            throw ONNXExportError.notONNX(file: file, reason: "no graph (\(data.count) bytes)")
        }
        guard let json = proto.metadataProps.first(where: { $0.key == ModelMetadata.key })?.value else {
            throw ONNXExportError.notAslsh(file: file, reason: "no '\(ModelMetadata.key)' metadata_props entry (producer: \(proto.producerName.isEmpty ? "unknown" : proto.producerName))")
        }
        let metadata: ModelMetadata
        do { metadata = try ModelMetadata(json: json, source: file) } catch {
            throw ONNXExportError.notAslsh(file: file, reason: "its aslsh metadata does not parse: "
                                           + ((error as? TrainingError).map { Self.innerReason($0.description) } ?? "\(error)"))
        }
        // Checked before the model is built: a config claiming a huge model must not allocate it.
        let storedWeights = proto.graph.initializer.reduce(0) { $0 + max($1.floatData.count, $1.rawData.count / 4) }
        do { try metadata.checkWeightsFit(storedWeights, source: file) } catch {
            throw ONNXExportError.notAslsh(file: file, reason: "its aslsh metadata does not match its weights: "
                                           + ((error as? TrainingError).map { Self.innerReason($0.description) } ?? "\(error)"))
        }
        let model = metadata.config.makeModel(seed: metadata.seed)
        var initializers: [String: Onnx_TensorProto] = [:]
        for t in proto.graph.initializer { initializers[t.name] = t }
        let reader = InitializerReader(file: file, initializers: initializers)
        let c = metadata.config
        for view in model.parameters.views where !(c.architecture == .lstm && view.name.hasPrefix("lstm.")) {
            try model.parameters.set(view.name, Tensor(shape: view.shape, scalars: try reader.floats(view.name, shape: view.shape)))
        }
        if c.architecture == .lstm { try loadLSTM(model.parameters, config: c, reader) }
        return (model, metadata)
    }

    /// Splits each layer's stacked W/R/B back into PyTorch's per-direction tensors.
    static func loadLSTM(_ p: ParameterStore, config c: ModelConfig, _ reader: InitializerReader) throws {
        let H = c.hiddenDim, D = c.bidirectional ? 2 : 1
        for l in 0..<c.layers {
            let names = ModelGraphs.lstmNames(layer: l)
            let inputSize = l == 0 ? c.frameWidth : D * H
            let w = try reader.floats(names.w, shape: [D, 4 * H, inputSize])
            let r = try reader.floats(names.r, shape: [D, 4 * H, H])
            let b = try reader.floats(names.b, shape: [D, 8 * H])
            for d in 0..<D {
                let n = ModelGraphs.torchNames(layer: l, direction: d)
                func part(_ x: [Float], _ index: Int, _ size: Int) -> [Float] { Array(x[index * size..<(index + 1) * size]) }
                try p.set(n.ih, Tensor(shape: [4 * H, inputSize], scalars: LSTMWeightLayout.toTorch(part(w, d, 4 * H * inputSize), hidden: H)))
                try p.set(n.hh, Tensor(shape: [4 * H, H], scalars: LSTMWeightLayout.toTorch(part(r, d, 4 * H * H), hidden: H)))
                let bias = part(b, d, 8 * H)
                try p.set(n.bih, Tensor(shape: [4 * H], scalars: LSTMWeightLayout.toTorch(part(bias, 0, 4 * H), hidden: H)))
                try p.set(n.bhh, Tensor(shape: [4 * H], scalars: LSTMWeightLayout.toTorch(part(bias, 1, 4 * H), hidden: H)))
            }
        }
    }
}

/// Float32 initializers by name, checked against the expected shape.
struct InitializerReader {
    let file: String
    let initializers: [String: Onnx_TensorProto]

    func floats(_ name: String, shape: [Int]) throws -> [Float] {
        guard let t = initializers[name] else { throw ONNXExportError.missingInitializer(file: file, name: name) }
        guard t.dataType == Int32(Onnx_TensorProto.DataType.float.rawValue) else {
            throw ONNXExportError.badInitializer(file: file, name: name, reason: "data type \(t.dataType), expected float32 (1)")
        }
        guard t.dims.map(Int.init) == shape else {
            throw ONNXExportError.badInitializer(file: file, name: name, reason: "shape \(t.dims), expected \(shape)")
        }
        let count = shape.reduce(1, *)
        if !t.floatData.isEmpty {
            guard t.floatData.count == count else {
                throw ONNXExportError.badInitializer(file: file, name: name, reason: "\(t.floatData.count) values for shape \(shape)")
            }
            return t.floatData
        }
        guard t.rawData.count == 4 * count else {
            throw ONNXExportError.badInitializer(file: file, name: name, reason: "\(t.rawData.count) bytes of raw_data for shape \(shape) (\(4 * count) expected)")
        }
        return t.rawData.withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }
}
