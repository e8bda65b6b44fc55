import Foundation
import NeuralNets
import ONNXExport
import Training

/// `export onnx|tflite`: a checkpoint (or, for tflite, an aslsh-written ONNX file) → a model file
/// other runtimes load, carrying the same `aslsh` metadata (labels, architecture, T, normalisation).
public enum ExportCommands {
    public static var all: [CommandDefinition] { [export] }

    static let export = CommandDefinition(
        "export", summary: "export a checkpoint as ONNX (opset 17) or TFLite (builtin ops) for other runtimes",
        discussion: """
        Both: inputs landmarks [batch, T, 21, 3] and mask [batch, T] (1 = hand present) → logits
        [batch, classes]. ONNX: batch dynamic, T too for LSTM and TCN; metadata in metadata_props.
        TFLite: builtin operators only (LiteRT runs it without Flex ops), batch resizable, metadata
        entries "aslsh" and "labels"; --quantize float16 | dynamic-int8 shrinks the weights.
        The shape flags are optional checks: given, they must agree with the checkpoint.
        example: export onnx --checkpoint net; export tflite --checkpoint net --quantize float16
        """,
        arguments: [ArgumentSpec("kind", .choice(["onnx", "tflite"]), "output format")],
        flags: [FlagSpec("checkpoint", .any, "a checkpoint path or the value `train` returned"),
                FlagSpec("onnx", .path, "tflite: convert this aslsh-exported .onnx instead of a checkpoint"),
                FlagSpec("out", .path, "output file (default models/exported/classifier.onnx or .tflite)"),
                FlagSpec("architecture", .choice(Architecture.allCases.map(\.rawValue)), "expected architecture"),
                FlagSpec("sequence-length", .int, "expected frames per sample", validate: FlagSpec.positive),
                FlagSpec("feature-dim", .int, "expected features per frame", validate: FlagSpec.positive),
                FlagSpec("hidden-dim", .int, "expected hidden size", validate: FlagSpec.positive)]
            + TFLiteExportCommand.flags
    ) { call in
        let kind = call.string("kind")!
        let source: URL, model: SequenceClassifier, metadata: ModelMetadata
        if let onnx = call.url("onnx") {
            guard kind == "tflite" else { throw call.failure("--onnx is an input for `export tflite`; ONNX export reads --checkpoint") }
            guard call["checkpoint"] == nil else { throw call.failure("give --checkpoint or --onnx, not both") }
            source = onnx
            do { (model, metadata) = try ONNXModelReader.read(onnx) } catch { throw call.failure("\(error)") }
        } else {
            guard let checkpoint = TrainingCommands.checkpointURL(call["checkpoint"]) else {
                throw call.failure("--checkpoint is required (a checkpoint path or a train result)")
            }
            source = checkpoint
            do { (model, metadata) = try Checkpoint.load(checkpoint) } catch { throw call.failure("\(error)") }
        }
        let c = metadata.config
        let checks: [(flag: String, given: String?, actual: String)] = [
            ("architecture", call.string("architecture"), c.architecture.rawValue),
            ("sequence-length", call.int("sequence-length").map(String.init), String(c.sequenceLength)),
            ("feature-dim", call.int("feature-dim").map(String.init), String(c.featureCount)),
            ("hidden-dim", call.int("hidden-dim").map(String.init), String(c.hiddenDim))]
        for check in checks where check.given != nil && check.given != check.actual {
            throw call.failure("--\(check.flag) \(check.given!) disagrees with the model (\(check.actual)): \(LandmarkCommands.relative(source.path))")
        }
        if kind == "tflite" {
            return try TFLiteExportCommand.run(call, model: model, metadata: metadata, out: call.url("out"))
        }
        guard call.string("quantize") == "none" else { throw call.failure("--quantize applies to tflite only") }
        let out = call.url("out") ?? Invocation.resolvePath("models/exported/classifier.onnx")
        do { try ONNXExporter.write(model: model, metadata: metadata, to: out) } catch { throw call.failure("\(error)") }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: out.path)[.size] as? Int) ?? 0
        let time = c.architecture == .mlp ? String(c.sequenceLength) : "time"
        let inputs = "landmarks [batch, \(time), \(c.featureCount / 3), 3], mask [batch, \(time)]"
        call.session.print("exported \(c.architecture.rawValue) (\(c.classCount) classes, opset \(ONNXExporter.opset)) → \(LandmarkCommands.relative(out.path))")
        // The size moves with the metadata (training history carries per-epoch timings): volatile.
        call.session.print("\(bytes) bytes", volatile: true)
        return .record(Record([(key: "path", value: .path(LandmarkCommands.relative(out.path))),
                               (key: "format", value: .string("onnx")),
                               (key: "opset", value: .int(ONNXExporter.opset)),
                               (key: "inputs", value: .string(inputs)),
                               (key: "classes", value: .int(c.classCount)),
                               (key: "bytes", value: .int(bytes))]))
    }
}
