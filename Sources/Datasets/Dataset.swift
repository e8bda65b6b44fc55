import Foundation
import TensorCore

/// A built dataset split as training reads it: the `.npz` that `build` writes, in memory.
///
/// Arrays (all indexed by sample along axis 0):
/// - `sequences` float32 `[N,T,K,3]` (normalised landmarks, zeros where masked; K = 21 for one
///   hand, 42 for both, 28/49 with pose points: `FrameLayout`)
/// - `masks` bool `[N,T]` (1 = a hand detected; padding and missed frames are 0)
/// - `labels` int64 `[N]`, indices into `label_names`
/// - `label_names` `<U` `[C]`, the same full list in every split of one build
/// - metadata: `clip_ids`, `source_files`, `signers` (`<U`, "" = unknown) `[N]`,
///   `detection_rates` float32 `[N]`, `frame_counts` int64 `[N]` (before resampling),
///   `has_z` bool `[N]`; `recovered` `<U` `[N]` (optional, written when some sample's hand was found by
///   `--recover`: the attempt's name, "" for MediaPipe's own)
/// - preprocessing (optional; absent = none): `fill_gaps` int64 `[1]`, `mirror_left` bool `[1]`,
///   `dominant_right` bool `[1]`
public struct Dataset: Equatable, Sendable {
    /// What `build` did to every clip beyond normalising it, so a model trained on this data
    /// gets the same at prediction (`ModelMetadata.preprocessing`).
    public struct Preprocessing: Codable, Equatable, Sendable {
        /// Detection gaps of at most this many frames were interpolated (`build --fill-gaps`; 0 = none).
        public var fillGaps: Int
        /// The subject's left hands were mirrored into right hands (`extract`/`import --mirror-left`).
        public var mirrorLeft: Bool
        /// Two-hand clips whose left hand is seen more than the right were mirrored, hands
        /// swapped, so the dominant hand is the right one (`build --dominant-right`).
        public var dominantRight: Bool

        public init(fillGaps: Int = 0, mirrorLeft: Bool = false, dominantRight: Bool = false) {
            self.fillGaps = fillGaps
            self.mirrorLeft = mirrorLeft
            self.dominantRight = dominantRight
        }

        enum CodingKeys: String, CodingKey { case fillGaps = "fill_gaps", mirrorLeft = "mirror_left", dominantRight = "dominant_right" }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            fillGaps = try c.decodeIfPresent(Int.self, forKey: .fillGaps) ?? 0
            mirrorLeft = try c.decodeIfPresent(Bool.self, forKey: .mirrorLeft) ?? false
            dominantRight = try c.decodeIfPresent(Bool.self, forKey: .dominantRight) ?? false
        }

        /// "fill gaps ≤ 3, left hands mirrored", or "none".
        public var summary: String {
            let parts = (fillGaps > 0 ? ["fill gaps ≤ \(fillGaps)"] : []) + (mirrorLeft ? ["left hands mirrored"] : [])
                + (dominantRight ? ["dominant hand on the right"] : [])
            return parts.isEmpty ? "none" : parts.joined(separator: ", ")
        }
    }

    /// Per-sample facts carried from the manifest (not used by the model).
    public struct SampleMetadata: Equatable, Sendable {
        public var clipIDs: [String]
        public var sourceFiles: [String]
        public var signers: [String]
        public var detectionRates: [Float]
        public var frameCounts: [Int]
        public var hasZ: [Bool]
        /// The recovery attempt that found the sample's hand (`prepare-alphabet --recover`); "" for
        /// MediaPipe's own. Empty when no sample was recovered.
        public var recovered: [String]

        public init(clipIDs: [String] = [], sourceFiles: [String] = [], signers: [String] = [],
                    detectionRates: [Float] = [], frameCounts: [Int] = [], hasZ: [Bool] = [], recovered: [String] = []) {
            self.clipIDs = clipIDs
            self.sourceFiles = sourceFiles
            self.signers = signers
            self.detectionRates = detectionRates
            self.frameCounts = frameCounts
            self.hasZ = hasZ
            self.recovered = recovered.contains { !$0.isEmpty } ? recovered : []
        }

        /// Per sample: "mediapipe", or "recovered (ATTEMPT)".
        public func handSources(count: Int) -> [String] {
            recovered.count == count ? recovered.map(Self.handSource) : Array(repeating: Self.handSource(""), count: count)
        }

        /// Where a hand came from, as tables show it: "mediapipe" for "" (MediaPipe's own), else
        /// "recovered (ATTEMPT)".
        public static func handSource(_ recovered: String) -> String { recovered.isEmpty ? "mediapipe" : "recovered (\(recovered))" }
    }

    /// [N,T,K,3]
    public var sequences: Tensor
    /// [N,T], row-major
    public var masks: [Bool]
    /// [N]
    public var labels: [Int]
    public var labelNames: [String]
    public var metadata: SampleMetadata
    public var preprocessing = Preprocessing()

    public var count: Int { labels.count }
    /// T (1 for static datasets).
    public var sequenceLength: Int { sequences.shape[1] }
    public var classCount: Int { labelNames.count }
    /// What a frame holds (from K).
    public var layout: FrameLayout { FrameLayout(points: sequences.shape[2])! }
    /// Values a frame: 3K.
    public var frameWidth: Int { layout.values }

    public init(sequences: Tensor, masks: [Bool], labels: [Int], labelNames: [String], metadata: SampleMetadata) {
        precondition(sequences.rank == 4 && FrameLayout(points: sequences.shape[2]) != nil && sequences.shape[3] == 3,
                     "sequences are [N,T,K,3] for a frame layout's K, got \(sequences.shape)")
        precondition(sequences.shape[0] == labels.count && masks.count == labels.count * sequences.shape[1])
        self.sequences = sequences
        self.masks = masks
        self.labels = labels
        self.labelNames = labelNames
        self.metadata = metadata
    }

    // MARK: npz

    /// The arrays in the order documented above.
    public func npz() -> NPZ {
        let n = count, t = sequenceLength
        return NPZ(arrays: [
            ("sequences", NDArray(sequences)),
            ("masks", NDArray(bool: masks, shape: [n, t])),
            ("labels", NDArray(int64: labels.map { Int64($0) })),
            ("label_names", NDArray(strings: labelNames)),
            ("clip_ids", NDArray(strings: metadata.clipIDs)),
            ("source_files", NDArray(strings: metadata.sourceFiles)),
            ("signers", NDArray(strings: metadata.signers)),
            ("detection_rates", NDArray(float32: metadata.detectionRates)),
            ("frame_counts", NDArray(int64: metadata.frameCounts.map { Int64($0) })),
            ("has_z", NDArray(bool: metadata.hasZ)),
            ("fill_gaps", NDArray(int64: [Int64(preprocessing.fillGaps)])),
            ("mirror_left", NDArray(bool: [preprocessing.mirrorLeft])),
        ] + (preprocessing.dominantRight ? [("dominant_right", NDArray(bool: [true]))] : []) + (metadata.recovered.count == n ? [("recovered", NDArray(strings: metadata.recovered))] : []))
    }

    /// Writes the `.npz` atomically.
    public func write(to url: URL, compressed: Bool = false) throws {
        do { try npz().write(to: url, compressed: compressed) } catch let error as ArrayFileError { throw DatasetError.arrayFile(error) }
    }

    /// Writes the `.npz` at `temp`, the temporary file for `url`, for a caller that renames it.
    public func write(temporary temp: URL, for url: URL, compressed: Bool = false) throws {
        do { try npz().writeArchive(at: temp, for: url, compressed: compressed) } catch let error as ArrayFileError {
            throw DatasetError.arrayFile(error)
        }
    }

    /// Reads and validates a dataset `.npz`: the four model arrays are required with consistent
    /// shapes and dtypes, labels must index `label_names`; metadata arrays are optional (absent
    /// → empty strings, detection rate 1, frame count T, has_z true) but must have N entries.
    public init(contentsOf url: URL) throws {
        let file = url.path
        let archive: NPZ
        do { archive = try NPZ.read(contentsOf: url) } catch let error as ArrayFileError {
            // The archive's own words ("no such file", "not a valid npz (truncated …)"), not
            // wrapped again in "not a valid dataset".
            throw DatasetError.arrayFile(error)
        }
        func fail(_ array: String?, _ problem: String) -> DatasetError {
            .invalidDataset(file: file, array: array, problem: problem)
        }
        func required(_ name: String) throws -> NDArray {
            guard let a = archive[name] else { throw fail(name, "missing (arrays present: \(archive.names.joined(separator: ", ")))") }
            return a
        }
        let seq = try required("sequences")
        guard case .float32(let values) = seq.storage else { throw fail("sequences", "dtype \(seq.dtypeName), expected float32") }
        guard seq.shape.count == 4, let layout = FrameLayout(points: seq.shape[2]), seq.shape[3] == 3 else {
            throw fail("sequences", "shape \(seq.shape), expected [N,T,21,3] (or [N,T,K,3] with K one of \(FrameLayout.known))")
        }
        let n = seq.shape[0], t = seq.shape[1], width = layout.values
        guard t >= 1 else { throw fail("sequences", "T = 0") }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw fail("sequences", "non-finite value \(values[bad]) in sample \(bad / (t * width)), frame \((bad / width) % t)")
        }
        let maskArray = try required("masks")
        guard maskArray.shape == [n, t] else { throw fail("masks", "shape \(maskArray.shape), expected [\(n), \(t)]") }
        let masks = try LandmarkClip.maskValues(maskArray.reshapedFlat(), frames: n * t).get { fail("masks", $0) }
        let labelArray = try required("labels")
        guard labelArray.shape == [n], case .int64(let rawLabels) = labelArray.storage else {
            throw fail("labels", "\(labelArray.dtypeName) \(labelArray.shape), expected int64 [\(n)]")
        }
        let nameArray = try required("label_names")
        guard nameArray.shape.count == 1, let names = nameArray.strings() else {
            throw fail("label_names", "\(nameArray.dtypeName) \(nameArray.shape), expected a 1-D string array")
        }
        if let bad = rawLabels.firstIndex(where: { $0 < 0 || $0 >= Int64(names.count) }) {
            throw fail("labels", "sample \(bad) has label \(rawLabels[bad]), outside 0..<\(names.count) label_names")
        }
        func optional<T>(_ name: String, _ extract: (NDArray) -> [T]?, default value: T) throws -> [T] {
            guard let a = archive[name] else { return [T](repeating: value, count: n) }
            guard a.shape == [n], let v = extract(a) else { throw fail(name, "\(a.dtypeName) \(a.shape), expected [\(n)]") }
            return v
        }
        let metadata = SampleMetadata(
            clipIDs: try optional("clip_ids", { $0.strings() }, default: ""),
            sourceFiles: try optional("source_files", { $0.strings() }, default: ""),
            signers: try optional("signers", { $0.strings() }, default: ""),
            detectionRates: try optional("detection_rates", { $0.tensor()?.scalars }, default: 1),
            frameCounts: try optional("frame_counts", { $0.integers() }, default: t),
            hasZ: try optional("has_z", { $0.integers()?.map { $0 != 0 } }, default: true),
            recovered: try optional("recovered", { $0.strings() }, default: ""))
        self.init(sequences: Tensor(shape: seq.shape, scalars: values), masks: masks,
                  labels: rawLabels.map { Int($0) }, labelNames: names, metadata: metadata)
        if let a = archive["fill_gaps"] {
            guard a.shape == [1], let v = a.integers()?.first, v >= 0 else { throw fail("fill_gaps", "\(a.dtypeName) \(a.shape), expected one count ≥ 0") }
            preprocessing.fillGaps = v
        }
        if let a = archive["mirror_left"] {
            guard a.shape == [1], let v = a.integers()?.first else { throw fail("mirror_left", "\(a.dtypeName) \(a.shape), expected one bool") }
            preprocessing.mirrorLeft = v != 0
        }
        if let a = archive["dominant_right"] {
            guard a.shape == [1], let v = a.integers()?.first else { throw fail("dominant_right", "\(a.dtypeName) \(a.shape), expected one bool") }
            preprocessing.dominantRight = v != 0
        }
    }

    /// The samples at `indices`, in that order (label names unchanged) — for batches and folds.
    public func subset(_ indices: [Int]) -> Dataset {
        let t = sequenceLength, perSample = t * frameWidth
        var values = [Float](), masks = [Bool]()
        values.reserveCapacity(indices.count * perSample)
        for i in indices {
            values += sequences.scalars[(i * perSample)..<((i + 1) * perSample)]
            masks += self.masks[(i * t)..<((i + 1) * t)]
        }
        let m = metadata
        var part = Dataset(sequences: Tensor(shape: [indices.count, t, layout.points, 3], scalars: values), masks: masks,
                       labels: indices.map { labels[$0] }, labelNames: labelNames,
                       metadata: SampleMetadata(clipIDs: indices.map { m.clipIDs[$0] }, sourceFiles: indices.map { m.sourceFiles[$0] },
                                                signers: indices.map { m.signers[$0] },
                                                detectionRates: indices.map { m.detectionRates[$0] },
                                                frameCounts: indices.map { m.frameCounts[$0] }, hasZ: indices.map { m.hasZ[$0] },
                                                recovered: m.recovered.isEmpty ? [] : indices.map { m.recovered[$0] }))
        part.preprocessing = preprocessing
        return part
    }

    /// Samples per class, indexed like `labelNames`.
    public var countsPerClass: [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for l in labels { counts[l] += 1 }
        return counts
    }
}

extension NDArray {
    /// The same values as a 1-D array.
    func reshapedFlat() -> NDArray { NDArray(shape: [count], storage: storage) }
}
