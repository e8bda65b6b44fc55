import TensorCore
/// One clip of the landmark manifest — the format `extract`, `prepare-alphabet`, `synth` and the
/// importers write and `build` reads. JSON field names (snake_case) are stable; see README
/// "Landmark manifest".
public struct LandmarkRecord: Codable, Equatable, Sendable {
    /// Unique within a manifest; also the stem of the landmark files importers write.
    public var clipID: String
    /// Class name (any Unicode, spaces allowed: "i love you").
    public var label: String
    /// Optional class index from an upstream label file; when every record has one, `build`
    /// orders `label_names` by it so indices match the upstream model.
    public var labelIndex: Int?
    /// The video, photo or file the landmarks came from (grouping key for `--group-by source`).
    public var sourceFile: String
    public var signer: String?
    /// Official split from MS-ASL / WLASL: "train", "val" or "test" (used by `--use-source-split`).
    public var split: String?
    /// T, the number of frames in the landmark file.
    public var frameCount: Int
    /// Frames in which a hand was detected (mask = 1).
    public var detectedFrames: Int
    /// detectedFrames / frameCount (0 for an empty clip).
    public var detectionRate: Double
    /// `.npy` float32 `[T,21,3]`, relative to the manifest's folder (or absolute).
    public var landmarks: String
    /// `.npy` uint8 or bool `[T]`, 1 = hand detected in that frame, relative like `landmarks`.
    public var mask: String
    /// False when the source had no depth (2-D keypoints): z is stored as 0, never invented.
    public var hasZ: Bool
    public var fps: Double?
    /// How the stored landmarks are normalised: `LandmarkNormalizer.name` ("wrist_mcp9") or "none".
    public var normalisation: String
    /// Everything else: the source record's extra fields, importer details.
    public var metadata: [String: JSONValue]
    /// Metadata key set on every record made with `--mirror-left` (extract, import frame-npy).
    public static let mirrorLeftKey = "mirror_left"
    /// Metadata key naming the recovery attempt that found the hand (`prepare-alphabet --recover`);
    /// absent when MediaPipe's own pass found it. `build` carries it into the dataset.
    public static let recoveredKey = "recovered"

    public init(clipID: String, label: String, labelIndex: Int? = nil, sourceFile: String,
                signer: String? = nil, split: String? = nil, frameCount: Int, detectedFrames: Int,
                landmarks: String, mask: String, hasZ: Bool, fps: Double? = nil,
                normalisation: String = LandmarkNormalizer.name, metadata: [String: JSONValue] = [:]) {
        self.clipID = clipID
        self.label = label
        self.labelIndex = labelIndex
        self.sourceFile = sourceFile
        self.signer = signer
        self.split = split
        self.frameCount = frameCount
        self.detectedFrames = detectedFrames
        self.detectionRate = frameCount > 0 ? Double(detectedFrames) / Double(frameCount) : 0
        self.landmarks = landmarks
        self.mask = mask
        self.hasZ = hasZ
        self.fps = fps
        self.normalisation = normalisation
        self.metadata = metadata
    }

    enum CodingKeys: String, CodingKey {
        case clipID = "clip_id", label, labelIndex = "label_index", sourceFile = "source_file", signer, split
        case frameCount = "frame_count", detectedFrames = "detected_frames", detectionRate = "detection_rate"
        case landmarks, mask, hasZ = "has_z", fps, normalisation, metadata
    }

    /// Required: clip_id, label, frame_count, landmarks, mask. Defaults: detected_frames =
    /// frame_count, detection_rate = detected/frames, has_z = true, normalisation = "none"
    /// (`build` then normalises), source_file = "".
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        clipID = try c.decode(String.self, forKey: .clipID)
        label = try c.decode(String.self, forKey: .label)
        labelIndex = try c.decodeIfPresent(Int.self, forKey: .labelIndex)
        sourceFile = try c.decodeIfPresent(String.self, forKey: .sourceFile) ?? ""
        signer = try c.decodeIfPresent(String.self, forKey: .signer)
        split = try c.decodeIfPresent(String.self, forKey: .split)
        frameCount = try c.decode(Int.self, forKey: .frameCount)
        detectedFrames = try c.decodeIfPresent(Int.self, forKey: .detectedFrames) ?? frameCount
        detectionRate = try c.decodeIfPresent(Double.self, forKey: .detectionRate)
            ?? (frameCount > 0 ? Double(detectedFrames) / Double(frameCount) : 0)
        landmarks = try c.decode(String.self, forKey: .landmarks)
        mask = try c.decode(String.self, forKey: .mask)
        hasZ = try c.decodeIfPresent(Bool.self, forKey: .hasZ) ?? true
        fps = try c.decodeIfPresent(Double.self, forKey: .fps)
        normalisation = try c.decodeIfPresent(String.self, forKey: .normalisation) ?? "none"
        metadata = try c.decodeIfPresent([String: JSONValue].self, forKey: .metadata) ?? [:]
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(clipID, forKey: .clipID)
        try c.encode(label, forKey: .label)
        try c.encodeIfPresent(labelIndex, forKey: .labelIndex)
        try c.encode(sourceFile, forKey: .sourceFile)
        try c.encodeIfPresent(signer, forKey: .signer)
        try c.encodeIfPresent(split, forKey: .split)
        try c.encode(frameCount, forKey: .frameCount)
        try c.encode(detectedFrames, forKey: .detectedFrames)
        try c.encode(detectionRate, forKey: .detectionRate)
        try c.encode(landmarks, forKey: .landmarks)
        try c.encode(mask, forKey: .mask)
        try c.encode(hasZ, forKey: .hasZ)
        try c.encodeIfPresent(fps, forKey: .fps)
        try c.encode(normalisation, forKey: .normalisation)
        try c.encode(metadata, forKey: .metadata)
    }

    /// The record's own consistency (not its files): a reason string, or nil when fine.
    func inconsistency() -> String? {
        if clipID.isEmpty { return "empty clip_id" }
        if label.isEmpty { return "empty label" }
        if frameCount < 0 { return "negative frame_count \(frameCount)" }
        if detectedFrames < 0 || detectedFrames > frameCount {
            return "detected_frames \(detectedFrames) outside 0...frame_count (\(frameCount))"
        }
        if !(0...1).contains(detectionRate) { return "detection_rate \(detectionRate) outside [0, 1]" }
        if let labelIndex, labelIndex < 0 { return "negative label_index \(labelIndex)" }
        return nil
    }
}
