import Foundation

/// Options of `build`, one property per command-line flag:
/// `build MANIFEST [--static] [--prefix P] [--out D] [--splits 0.7 0.15 0.15] [--seed S]
///  [--max-samples N] [--verbose] [--group-by signer|source] [--use-source-split]
///  [--min-detection-rate R] [--sequence-length T]`.
public struct BuildOptions: Sendable {
    /// Which record field keeps samples together in one split.
    public enum GroupBy: String, Sendable, CaseIterable {
        /// Signer-disjoint splits: the honest number for a model meant for new signers.
        case signer
        /// Clips of one source video never straddle two splits.
        case source
    }

    public static let splitNames = ["train", "val", "test"]

    /// The landmark manifest (MANIFEST).
    public var manifest: URL
    /// --static: one frame per sample (T = 1), the detected frame nearest the clip's middle.
    public var staticFrames = false
    /// --prefix: output names are `<prefix>train.npz`, `<prefix>val.npz`, `<prefix>test.npz`.
    public var prefix = ""
    /// --out (old spelling --dataset-dir): output folder (default: the manifest's folder).
    public var datasetDirectory: URL?
    /// --splits TRAIN VAL TEST: fractions summing to 1. A 0 leaves that split empty (`0 0 1` is a
    /// test-only build, `1 0 0` train-only); its file is still written, with 0 samples, so the
    /// three files always come from one build. Only all-zero is refused.
    public var splits: [Double] = [0.7, 0.15, 0.15]
    /// --seed: drives the split shuffles and --max-samples selection.
    public var seed: UInt64 = 42
    /// --max-samples: at most this many samples per class (a seeded random subset).
    public var maxSamplesPerClass: Int?
    /// --verbose: log every dropped record and each output file.
    public var verbose = false
    /// --group-by: keep each signer's (or source video's) samples in one split.
    public var groupBy: GroupBy?
    /// --use-source-split: use each record's `split` field (MS-ASL / WLASL official splits).
    public var useSourceSplit = false
    /// --min-detection-rate: drop records whose detection_rate is below this (counted).
    public var minDetectionRate = 0.0
    /// Fill detection gaps of at most this many frames by interpolation (`LandmarkClip.fillingGaps`), 0 = off.
    public var fillGaps = 0
    /// --dominant-right: mirror each two-hand clip whose left hand is seen in more frames than its
    /// right (hands swapped), so every clip's dominant hand is the right one
    /// (`LandmarkClip.dominantHandOnTheRight`).
    public var dominantRight = false
    /// --sequence-length: resample/pad every clip to T frames (required when lengths differ).
    public var sequenceLength: Int?
    /// Warn about classes with fewer kept samples than this.
    public var fewSamplesWarning = 10
    /// Write deflated archives (`np.savez_compressed`) instead of stored ones.
    public var compressed = false

    public init(manifest: URL) { self.manifest = manifest }

    /// The three output files.
    public var outputURLs: [URL] {
        let folder = datasetDirectory ?? manifest.deletingLastPathComponent()
        return BuildOptions.splitNames.map { folder.appendingPathComponent("\(prefix)\($0).npz") }
    }

    /// Contradictions and out-of-range values, as one clear sentence.
    func validate() throws {
        func fail(_ s: String) -> DatasetError { .invalidOptions(s) }
        guard splits.count == 3 else { throw fail("--splits needs three fractions (train val test), got \(splits.count)") }
        guard splits.allSatisfy({ $0 >= 0 && $0.isFinite }) else { throw fail("--splits fractions must be ≥ 0, got \(splits)") }
        guard splits.contains(where: { $0 > 0 }) else { throw fail("--splits 0 0 0 leaves every split empty; give at least one positive fraction") }
        guard abs(splits.reduce(0, +) - 1) <= 1e-6 else {
            throw fail("--splits \(splits.map { String($0) }.joined(separator: " ")) sum to \(splits.reduce(0, +)), not 1")
        }
        guard (0...1).contains(minDetectionRate) else { throw fail("--min-detection-rate \(minDetectionRate) is outside [0, 1]") }
        if let maxSamplesPerClass, maxSamplesPerClass < 1 { throw fail("--max-samples must be at least 1, got \(maxSamplesPerClass)") }
        if let sequenceLength {
            guard sequenceLength >= 1 else { throw fail("--sequence-length must be at least 1, got \(sequenceLength)") }
            if staticFrames && sequenceLength != 1 { throw fail("--static means T = 1; it contradicts --sequence-length \(sequenceLength)") }
        }
        if useSourceSplit && groupBy != nil { throw fail("--use-source-split keeps the official split; it cannot be combined with --group-by") }
        guard !prefix.contains("/") else { throw fail("--prefix '\(prefix)' must not contain '/'; use --out for the folder") }
    }
}
