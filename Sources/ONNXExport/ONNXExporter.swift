import Foundation
import NeuralNets
import SwiftProtobuf
import TensorCore
import Training

/// Options of an ONNX export.
public struct ONNXExportOptions: Sendable {
    /// LSTM, TCN and Transformer: leave the time axis symbolic (`time`) so any T runs (the
    /// Transformer's: any T up to its sequence length, the size of its position table); false pins
    /// it to the model's sequence length. The MLP's time axis is always fixed (it flattens T × features).
    public var dynamicTime = true
    public init() {}
}

/// Writes a `SequenceClassifier` as an ONNX model (opset `ONNXExporter.opset`) with the shared I/O
/// contract: inputs `landmarks` float32 `[batch, T, 21, 3]` and `mask` float32 `[batch, T]`,
/// output `logits` float32 `[batch, C]` — equal to `forward(x, mask:, training: false)` for any mask.
/// Parameters become initializers; the model's `ModelMetadata` JSON goes in `metadata_props["aslsh"]`
/// beside readable `labels`, `architecture`, `sequence_length`, `normalisation`, `opset` entries.
public enum ONNXExporter {
    /// Pinned default-domain opset (ONNX 1.12, 2022): supported by every current runtime.
    public static let opset = 17
    /// IR version that goes with opset 17 (onnx/onnx docs/Versioning.md).
    public static let irVersion = 8
    public static let inputNames = (landmarks: "landmarks", mask: "mask")
    public static let outputName = "logits"

    /// The serialized ONNX model.
    public static func export(model: SequenceClassifier, metadata: ModelMetadata,
                              options: ONNXExportOptions = ONNXExportOptions()) throws -> Data {
        let c = model.config
        guard metadata.config == c else {
            throw ONNXExportError.unsupported("the metadata describes another model (\(metadata.config.architecture.rawValue)) than the one exported (\(c.architecture.rawValue))")
        }
        guard metadata.labelNames.count == c.classCount else {
            throw ONNXExportError.unsupported("\(metadata.labelNames.count) label names for \(c.classCount) classes")
        }
        guard c.featureCount % 3 == 0 else {
            throw ONNXExportError.unsupported("\(c.featureCount) features per frame are not landmarks × 3 coordinates")
        }
        guard model.parameters.bufferViews.isEmpty else {
            throw ONNXExportError.unsupported("models with buffers (\(model.parameters.bufferViews.map(\.name))) are not exportable")
        }
        let time: GraphBuilder.Dimension = c.architecture != .mlp && options.dynamicTime ? .symbolic("time") : .fixed(c.sequenceLength)
        var g = GraphBuilder(name: "aslsh_\(c.architecture.rawValue)")
        g.addInput(inputNames.landmarks, dims: [.symbolic("batch"), time, .fixed(c.featureCount / 3), .fixed(3)])
        g.addInput(inputNames.mask, dims: [.symbolic("batch"), time])
        g.addOutput(outputName, dims: [.symbolic("batch"), .fixed(c.classCount)])
        try ModelGraphs.build(model, into: &g, landmarks: inputNames.landmarks, mask: inputNames.mask, logits: outputName)

        var proto = Onnx_ModelProto()
        proto.irVersion = Int64(irVersion)
        var opsetID = Onnx_OperatorSetIdProto()
        opsetID.domain = ""
        opsetID.version = Int64(opset)
        proto.opsetImport = [opsetID]
        proto.producerName = "aslsh"
        proto.producerVersion = metadata.aslshVersion
        proto.domain = "org.aslsh"
        proto.modelVersion = 1
        proto.docString = "aslsh \(c.architecture.rawValue) classifier over hand landmarks: landmarks [batch, T, 21, 3] (normalised: \(metadata.normalisation)) and mask [batch, T] → logits [batch, \(c.classCount)]"
        proto.graph = g.graph
        proto.metadataProps = try metadataProps(metadata).map { key, value in
            var entry = Onnx_StringStringEntryProto()
            entry.key = key
            entry.value = value
            return entry
        }
        return try proto.serializedData()
    }

    /// Exports and writes atomically (temp file + rename; parent folders created).
    public static func write(model: SequenceClassifier, metadata: ModelMetadata,
                             options: ONNXExportOptions = ONNXExportOptions(), to url: URL) throws {
        let data = try export(model: model, metadata: metadata, options: options)
        do { try OutputFile.write(data, to: url) } catch let problem as FileProblem {
            throw ONNXExportError.io(file: problem.path, reason: problem.reason)
        }
    }

    /// `aslsh` (the full JSON) first, then human-readable copies of the key facts.
    static func metadataProps(_ m: ModelMetadata) throws -> [(String, String)] {
        let labels = String(decoding: try JSONEncoder().encode(m.labelNames), as: UTF8.self)
        return [(ModelMetadata.key, try m.jsonString()),
                ("labels", labels),
                ("architecture", m.config.architecture.rawValue),
                ("sequence_length", String(m.config.sequenceLength)),
                ("normalisation", m.normalisation),
                ("opset", String(opset))]
    }
}
