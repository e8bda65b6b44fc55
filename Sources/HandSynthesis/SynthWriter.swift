import Datasets
import Foundation

extension HandSynthesizer {
    /// `synth`: generates samples and writes them in the same landmark manifest + `.npy` layout
    /// as `extract` (normalised wrist→MCP9), so every later stage runs on them. Signers are
    /// recorded (for `build --group-by signer`) and every record says it is synthetic.
    public static func write(_ options: SynthesisOptions, to outputDirectory: URL,
                             manifestName: String = "synth_manifest.json") throws -> ImportSummary {
        let samples = try generate(options)
        var writer = ImportWriter(outputDirectory: outputDirectory, manifestName: manifestName,
                                  format: "synthetic hands (seed \(options.seed))")
        var counter: [String: Int] = [:]
        for sample in samples {
            let k = counter[sample.label, default: 0]
            counter[sample.label] = k + 1
            let clipID = clipIDComponent("synth_\(sample.label)_\(String(format: "%04d", k))")
            try writer.add(LandmarkClip(values: sample.landmarks, mask: sample.mask), clipID: clipID, label: sample.label,
                           sourceFile: "synth:seed=\(options.seed)", signer: sample.signer, hasZ: true, fps: 30,
                           metadata: ["synthetic": .bool(true), "generator": .string("aslsh HandSynthesizer")])
        }
        var summary = try writer.finish().summary
        summary.verb = "generated"
        return summary
    }
}
