import Datasets
import Foundation
import HandSynthesis

/// The synthetic-data fixture several test targets train on: `synth` then `build`, in one call.
public enum SyntheticDatasets {
    /// Synthesises `synthesis` into `directory/synth` and builds its train/val/test `.npz` in
    /// `directory` (single static frames when `staticFrames`; split by `groupBy`, nil = random).
    /// Returns the three splits and the synthetic landmark manifest.
    public static func build(_ synthesis: SynthesisOptions, staticFrames: Bool, groupBy: BuildOptions.GroupBy? = .signer,
                             in directory: URL) throws -> (train: Dataset, validation: Dataset, test: Dataset, manifest: URL) {
        let synth = directory.appendingPathComponent("synth")
        _ = try HandSynthesizer.write(synthesis, to: synth)
        let manifest = synth.appendingPathComponent("synth_manifest.json")
        var options = BuildOptions(manifest: manifest)
        options.staticFrames = staticFrames
        options.datasetDirectory = directory
        options.groupBy = groupBy
        let summary = try DatasetBuilder.build(options)
        return (try Dataset(contentsOf: summary.outputs[0]), try Dataset(contentsOf: summary.outputs[1]),
                try Dataset(contentsOf: summary.outputs[2]), manifest)
    }
}
