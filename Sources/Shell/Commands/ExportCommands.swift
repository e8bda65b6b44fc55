import Foundation
import NeuralNets
import ONNXExport
import Training

/// `export onnx|tflite`: a checkpoint → a model file other runtimes load (same `aslsh` metadata).
public enum ExportCommands {
    public static var all: [CommandDefinition] { [export] }

    static let export = CommandDefinition(
        "export", summary: "export a checkpoint as ONNX (opset 17) or TFLite for other runtimes",
        discussion: """
        ONNX: inputs landmarks [batch, T, 21, 3] and mask [batch, T] (1 = hand present) → logits
        [batch, classes]; batch is dynamic, T too for LSTM and TCN. The checkpoint's metadata
        (labels, architecture, sequence length, normalisation) goes in metadata_props. The shape
        flags are optional checks: given, they must agree with the checkpoint.
        example: net = train data/processed/datasets/letters_train.npz --architecture lstm; export onnx --checkpoint net
        """,
        arguments: [ArgumentSpec("kind", .choice(["onnx", "tflite"]), "output format")],
        flags: [FlagSpec("checkpoint", .any, "a checkpoint path or the value `train` returned"),
                FlagSpec("out", .path, "output file (default models/exported/classifier.onnx)"),
                FlagSpec("architecture", .choice(Architecture.allCases.map(\.rawValue)), "expected architecture"),
                FlagSpec("sequence-length", .int, "expected frames per sample", validate: FlagSpec.positive),
                FlagSpec("feature-dim", .int, "expected features per frame", validate: FlagSpec.positive),
                FlagSpec("hidden-dim", .int, "expected hidden size", validate: FlagSpec.positive)]
    ) { call in
        guard call.string("kind") == "onnx" else { throw call.failure("export tflite: not available in this build") }
        guard let checkpoint = TrainingCommands.checkpointURL(call["checkpoint"]) else {
            throw call.failure("--checkpoint is required (a checkpoint path or a train result)")
        }
        let out = call.url("out") ?? Invocation.resolvePath("models/exported/classifier.onnx")
        let model: SequenceClassifier, metadata: ModelMetadata
        do { (model, metadata) = try Checkpoint.load(checkpoint) } catch { throw call.failure("\(error)") }
        let c = metadata.config
        let checks: [(flag: String, given: String?, actual: String)] = [
            ("architecture", call.string("architecture"), c.architecture.rawValue),
            ("sequence-length", call.int("sequence-length").map(String.init), String(c.sequenceLength)),
            ("feature-dim", call.int("feature-dim").map(String.init), String(c.featureCount)),
            ("hidden-dim", call.int("hidden-dim").map(String.init), String(c.hiddenDim))]
        for check in checks where check.given != nil && check.given != check.actual {
            throw call.failure("--\(check.flag) \(check.given!) disagrees with the checkpoint (\(check.actual)): \(LandmarkCommands.relative(checkpoint.path))")
        }
        do { try ONNXExporter.write(model: model, metadata: metadata, to: out) } catch { throw call.failure("\(error)") }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: out.path)[.size] as? Int) ?? 0
        let time = c.architecture == .mlp ? String(c.sequenceLength) : "time"
        let inputs = "landmarks [batch, \(time), \(c.featureCount / 3), 3], mask [batch, \(time)]"
        call.session.print("exported \(c.architecture.rawValue) (\(c.classCount) classes, opset \(ONNXExporter.opset)) → \(LandmarkCommands.relative(out.path)) (\(bytes) bytes)")
        return .record(Record([(key: "path", value: .path(LandmarkCommands.relative(out.path))),
                               (key: "opset", value: .int(ONNXExporter.opset)),
                               (key: "inputs", value: .string(inputs)),
                               (key: "classes", value: .int(c.classCount)),
                               (key: "bytes", value: .int(bytes))]))
    }
}
