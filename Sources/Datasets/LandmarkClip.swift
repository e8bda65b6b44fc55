import Foundation
import TensorCore

/// One clip's landmarks in memory: `values` [T,K,3] float32 row-major and `mask` [T] (true = a
/// hand was detected in that frame). K is the frame layout's points: 21 for one hand (most data),
/// 42 for both hands (left then right; an undetected hand is zeros), 28 or 49 with 7 pose points
/// after the hands (`FrameLayout`). On disk: two `.npy` files, float32 `[T,K,3]` and uint8 `[T]`
/// (bool masks are read too).
public struct LandmarkClip: Equatable, Sendable {
    public static let landmarksPerFrame = 21
    public static let coordinatesPerLandmark = 3
    /// One hand's values (21 × 3).
    public static let valuesPerFrame = landmarksPerFrame * coordinatesPerLandmark

    /// [T,K,3]
    public var values: [Float]
    /// [T]
    public var mask: [Bool]
    /// What a frame holds (one hand unless the source had more).
    public var layout: FrameLayout

    public init(values: [Float], mask: [Bool], layout: FrameLayout = .hand) {
        precondition(values.count == mask.count * layout.values,
                     "\(values.count) values for \(mask.count) frames of \(layout.points)×3")
        self.values = values
        self.mask = mask
        self.layout = layout
    }

    /// Values a frame (63 for one hand).
    public var frameWidth: Int { layout.values }

    public var frameCount: Int { mask.count }
    public var detectedFrames: Int { mask.lazy.filter { $0 }.count }
    public var detectionRate: Double { frameCount > 0 ? Double(detectedFrames) / Double(frameCount) : 0 }

    /// Frame t's values (63 for one hand).
    public func frame(_ t: Int) -> ArraySlice<Float> {
        values[(t * frameWidth)..<((t + 1) * frameWidth)]
    }

    // MARK: fixed length

    /// The clip at exactly `length` frames. Longer clips are sampled uniformly at segment
    /// centres (frame ⌊(i + ½)·T / L⌋ for output frame i, so first and last segments are treated
    /// alike); shorter clips are copied and zero-padded at the end with mask 0.
    public func resampled(to length: Int) -> LandmarkClip {
        precondition(length > 0, "sequence length must be positive")
        let n = frameWidth
        if frameCount == length { return self }
        var out = LandmarkClip(values: [Float](repeating: 0, count: length * n),
                               mask: [Bool](repeating: false, count: length), layout: layout)
        if frameCount > length {
            for i in 0..<length {
                let source = Int((Double(i) + 0.5) * Double(frameCount) / Double(length))
                out.values.replaceSubrange((i * n)..<((i + 1) * n), with: frame(source))
                out.mask[i] = mask[source]
            }
        } else {
            out.values.replaceSubrange(0..<values.count, with: values)
            out.mask.replaceSubrange(0..<frameCount, with: mask)
        }
        return out
    }

    /// A left hand mirrored into a right hand: x → 2·x_wrist − x in every frame of `values`
    /// (21 × (x, y, z) a frame; an absent, all-zero frame stays zero). Shared by `extract
    /// --mirror-left` and `import frame-npy --mirror-left`, so both store the same hand.
    public static func mirrorAboutWrist(_ values: inout [Float]) {
        for start in stride(from: 0, to: values.count, by: valuesPerFrame)
        where values[start..<start + valuesPerFrame].contains(where: { $0 != 0 }) {
            let wristX = values[start]
            for j in 0..<landmarksPerFrame { values[start + 3 * j] = 2 * wristX - values[start + 3 * j] }
        }
    }

    /// Normalised frames (`[T·V]` values of `layout`) mirrored: x → −x for every point (each
    /// block is centred on its own origin, the wrist or the shoulders' midpoint), and with two
    /// hands the left and right hand trade places, as do the pose's left and right shoulder,
    /// elbow and wrist — the mirror image of a signer is a signer using the other hand. An
    /// involution; an absent hand (zeros) stays zeros.
    public static func mirrorNormalised(_ frames: inout [Float], layout: FrameLayout) {
        for i in stride(from: 0, to: frames.count, by: 3) { frames[i] = -frames[i] }
        guard layout.hands == 2 || layout.pose else { return }
        let V = layout.values, hand = valuesPerFrame
        for start in stride(from: 0, to: frames.count, by: V) {
            if layout.hands == 2 {
                for k in 0..<hand { frames.swapAt(start + k, start + hand + k) }
            }
            if let pose = layout.poseOffset {
                for (a, b) in FrameLayout.posePairs {
                    for c in 0..<3 { frames.swapAt(start + pose + 3 * a + c, start + pose + 3 * b + c) }
                }
            }
        }
    }

    /// Frames in which hand `h` (0 left, 1 right) of a two-hand clip is present (not all zeros).
    public func framesWithHand(_ h: Int) -> Int {
        let hand = layout.hand(h)
        return (0..<frameCount).filter { layout.isSeen(hand, frame: $0, in: values) }.count
    }

    /// A normalised two-hand clip with its dominant hand on the right: when the left hand is
    /// present in more frames than the right, the whole clip is mirrored (`mirrorNormalised`),
    /// so a left-handed signer looks like a right-handed one (`build --dominant-right`; decided
    /// per clip, and again per clip or window at prediction). One-hand clips are returned as
    /// they are. - Returns: the clip and whether it was mirrored.
    public func dominantHandOnTheRight() -> (clip: LandmarkClip, mirrored: Bool) {
        guard layout.hands == 2, framesWithHand(0) > framesWithHand(1) else { return (self, false) }
        var out = self
        LandmarkClip.mirrorNormalised(&out.values, layout: layout)
        return (out, true)
    }

    /// Short detection gaps filled: each run of at most `maxGap` frames without a hand that has a
    /// detected frame on both sides gets landmarks linearly interpolated between those two frames
    /// and counts as detected. Gaps at either end, and longer ones, stay masked. (With two hands,
    /// a hand missing on one side of the gap is interpolated from zeros, as the frame is.)
    /// - Returns: the clip, and how many frames were filled.
    public func fillingGaps(upTo maxGap: Int) -> (clip: LandmarkClip, filled: Int) {
        guard maxGap > 0 else { return (self, 0) }
        let n = frameWidth
        var out = self, filled = 0
        var last: Int?   // the last detected frame before t
        for t in mask.indices where mask[t] {
            if let a = last, t - a - 1 > 0, t - a - 1 <= maxGap {
                for g in (a + 1)..<t {
                    let w = Float(g - a) / Float(t - a)
                    for k in 0..<n { out.values[g * n + k] = (1 - w) * values[a * n + k] + w * values[t * n + k] }
                    out.mask[g] = true
                    filled += 1
                }
            }
            last = t
        }
        return (out, filled)
    }

    /// One frame for static (T = 1) datasets: the detected frame nearest the clip's middle
    /// (the earlier one on a tie), or frame 0 (masked) when no frame has a hand.
    public func staticFrame() -> LandmarkClip {
        guard frameCount > 0 else { return resampled(to: 1) }
        if frameCount == 1 { return self }   // the one frame, detected or not
        let middle = Double(frameCount - 1) / 2
        let best = mask.indices.filter { mask[$0] }.min { abs(Double($0) - middle) < abs(Double($1) - middle) } ?? 0
        return LandmarkClip(values: Array(frame(best)), mask: [mask[best]], layout: layout)
    }

    // MARK: files

    /// The landmark array as written: float32 [T,K,3].
    public var landmarkArray: NDArray {
        NDArray(shape: [frameCount, layout.points, LandmarkClip.coordinatesPerLandmark], storage: .float32(values))
    }

    /// The mask array as written: uint8 [T] (0/1).
    public var maskArray: NDArray { NDArray(uint8: mask.map { $0 ? 1 : 0 }) }

    /// Writes landmarks (float32 [T,K,3]) and mask (uint8 [T]) atomically (synced to disk).
    public func write(landmarks: URL, mask maskURL: URL) throws {
        try NPY.write(landmarkArray, to: landmarks)
        try NPY.write(maskArray, to: maskURL)
    }

    /// Reads a landmark/mask pair, checking: both files exist; landmarks are float32/float64
    /// `[T,K,3]` for a known layout's K (or `[T,63]`); the mask is uint8 0/1 or bool `[T]`; every value is finite.
    /// `record`/`clipID` only label errors.
    public static func read(landmarks: URL, mask maskURL: URL, record: Int? = nil, clipID: String? = nil) throws -> LandmarkClip {
        func fail(_ url: URL, _ problem: String) -> DatasetError {
            .badLandmarkFile(file: url.path, record: record, clipID: clipID, problem: problem)
        }
        for url in [landmarks, maskURL] where !FileManager.default.fileExists(atPath: url.path) {
            throw fail(url, "no such file")
        }
        let array: NDArray, maskArray: NDArray
        do {
            array = try NPY.read(contentsOf: landmarks)
            maskArray = try NPY.read(contentsOf: maskURL)
        } catch let error as ArrayFileError {
            // The array file's words without its path (the record's place already names the file).
            throw DatasetError.badLandmarkFile(file: error.file, record: record, clipID: clipID, problem: error.problem)
        }
        let (frames, values, layout) = try landmarkValues(array, allowSingleFrame: false).get { fail(landmarks, $0) }
        let mask = try maskValues(maskArray, frames: frames).get { fail(maskURL, $0) }
        return LandmarkClip(values: values, mask: mask, layout: layout)
    }

    /// Where the first NaN or infinity of `[T,K,3]` values is, in the words every stage uses
    /// ("non-finite value nan at frame 2, landmark 7, y"), or nil when all are finite.
    public static func nonFiniteProblem<C: Collection>(_ values: C, layout: FrameLayout = .hand) -> String? where C.Element == Float, C.Index == Int {
        guard let bad = values.firstIndex(where: { !$0.isFinite }) else { return nil }
        let offset = bad - values.startIndex, width = layout.values
        let t = offset / width, j = (offset % width) / 3, c = ["x", "y", "z"][offset % 3]
        return "non-finite value \(values[bad]) at frame \(t), landmark \(j), \(c)"
    }

    /// The same for a whole array, with a vectorised all-finite pass first: x − x is 0 for every
    /// finite x and NaN for ±∞ and NaN, so eight running sums of it stay 0 exactly when all are
    /// finite. (The generic version above is not specialised across modules and cost `predict`
    /// more than an MLP's forward pass on a batch.)
    public static func nonFiniteProblem(_ values: [Float], layout: FrameLayout = .hand) -> String? {
        let allFinite = values.withUnsafeBufferPointer { p -> Bool in
            var sums = SIMD8<Float>(repeating: 0)
            let whole = p.count / 8 * 8
            var i = 0
            while i < whole {
                let v = SIMD8<Float>(p[i], p[i + 1], p[i + 2], p[i + 3], p[i + 4], p[i + 5], p[i + 6], p[i + 7])
                sums += v - v
                i += 8
            }
            var tail: Float = 0
            while i < p.count { tail += p[i] - p[i]; i += 1 }
            return sums.sum() + tail == 0
        }
        return allFinite ? nil : nonFiniteProblem(values[...], layout: layout)
    }

    /// Zeroes and masks every frame holding a NaN or infinite value; returns how many. Importers
    /// read such frames as "no hand" (some exporters write NaN there); `build` refuses them.
    mutating func maskNonFiniteFrames() -> Int {
        let n = frameWidth
        var count = 0
        for t in 0..<mask.count where values[(t * n)..<((t + 1) * n)].contains(where: { !$0.isFinite }) {
            for i in (t * n)..<((t + 1) * n) { values[i] = 0 }
            mask[t] = false
            count += 1
        }
        return count
    }

    /// `[T,K,3]` or `[T,3K]` for a layout's K (21, 42, 28, 49; and `[K,3]` as one frame when
    /// `allowSingleFrame`), float32 or float64, every value finite → (T, values, layout);
    /// otherwise the reason.
    static func landmarkValues(_ array: NDArray, allowSingleFrame: Bool, allowNonFinite: Bool = false) -> Result<(Int, [Float], FrameLayout), ReasonError> {
        let shape = array.shape
        let frames: Int, layout: FrameLayout
        if shape.count == 3, shape[2] == coordinatesPerLandmark, let l = FrameLayout(points: shape[1]) {
            (frames, layout) = (shape[0], l)
        } else if shape.count == 2, shape[1] != coordinatesPerLandmark, let l = FrameLayout(values: shape[1]) {
            (frames, layout) = (shape[0], l)
        } else if allowSingleFrame, shape.count == 2, shape[1] == coordinatesPerLandmark, let l = FrameLayout(points: shape[0]) {
            (frames, layout) = (1, l)
        } else {
            return .failure(ReasonError("shape \(shape) is not [T,21,3]" + (allowSingleFrame ? ", [T,63] or [21,3]" : "")
                + " (or [T,K,3] with K = 42 for both hands, 28 or 49 with pose points)"))
        }
        let values: [Float]
        switch array.storage {
        case .float32(let v): values = v
        case .float64(let v): values = v.map { Float($0) }
        default: return .failure(ReasonError("dtype \(array.dtypeName) is not float32/float64"))
        }
        if !allowNonFinite, let problem = nonFiniteProblem(values, layout: layout) { return .failure(ReasonError(problem)) }
        return .success((frames, values, layout))
    }

    /// A uint8 (0/1) or bool mask of exactly `frames` entries, or the reason it is not one.
    static func maskValues(_ array: NDArray, frames: Int) -> Result<[Bool], ReasonError> {
        guard array.shape == [frames] else {
            return .failure(ReasonError("mask shape \(array.shape) does not match the \(frames) landmark frames"))
        }
        switch array.storage {
        case .bool(let v): return .success(v)
        case .uint8(let v):
            if let bad = v.firstIndex(where: { $0 > 1 }) { return .failure(ReasonError("mask value \(v[bad]) at frame \(bad) is not 0 or 1")) }
            return .success(v.map { $0 == 1 })
        default: return .failure(ReasonError("mask dtype \(array.dtypeName) is not uint8 or bool"))
        }
    }
}

/// A reason sentence carried through `Result` until the caller adds the file and record.
struct ReasonError: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

extension Result where Failure == ReasonError {
    /// The value, or the caller's error built from the reason.
    func get(_ wrap: (String) -> DatasetError) throws -> Success {
        switch self {
        case .success(let v): return v
        case .failure(let e): throw wrap(e.reason)
        }
    }
}

extension NDArray {
    /// float32 or float64: the dtypes landmark coordinates may come in.
    var isFloatingPoint: Bool {
        switch storage {
        case .float32, .float64: true
        default: false
        }
    }
}
