import Foundation
import Training

/// `export` — TEMPORARY (tfexport branch): only the `tflite` kind; the lead merges this with the
/// onnx branch's `export` command, which owns the command and its other flags.
public enum ExportCommands {
    public static var all: [CommandDefinition] { [export] }

    static let export = CommandDefinition(
        "export", summary: "export a checkpoint for deployment (tflite)",
        discussion: """
        Writes a TFLite flatbuffer with builtin operators only; inputs landmarks [B,T,21,3] and mask
        [B,T], output logits [B,C]; the aslsh metadata JSON and the labels travel inside the file.
        example: export tflite --checkpoint models/checkpoints/mlp_best.safetensors --quantize float16
        """,
        arguments: [ArgumentSpec("kind", .choice(["tflite"]), "output format")],
        flags: [FlagSpec("checkpoint", .any, "checkpoint path or the value `train` returned"),
                FlagSpec("out", .path, "output file (default models/exported/classifier.tflite)")] + TFLiteExportCommand.flags
    ) { call in
        guard let checkpoint = TrainingCommands.checkpointURL(call["checkpoint"]) else {
            throw call.failure("--checkpoint is required (a checkpoint path or a train result)")
        }
        return try TFLiteExportCommand.run(call, checkpoint: checkpoint, out: call.url("out"))
    }
}
