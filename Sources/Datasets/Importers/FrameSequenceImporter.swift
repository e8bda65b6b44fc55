import Foundation
import TensorCore

/// Per-frame `.npy` sequence folders as written by MediaPipe Holistic tutorials
/// (`<sign>/<sequence>/<frame>.npy`): each frame holds 126 values, the left hand's 21 × (x, y, z)
/// then the right hand's, in normalised image coordinates, all zeros when that hand was not
/// detected. One clip per sequence folder; label = the sign folder's name, verbatim (spaces kept).
public enum FrameSequenceImporter {
    public static let format = "per-frame .npy sequence folders"
    public static let valuesPerFrame = 2 * LandmarkClip.valuesPerFrame

    /// Which of the two hands becomes the clip (aslsh models one hand).
    public enum Hand: String, Sendable, CaseIterable {
        case left, right
        /// Per sequence, the hand detected in more frames; a tie goes to the right hand
        /// (the dominant hand of most signers).
        case mostDetected = "most-detected"
    }

    public struct Options: Sendable {
        public var hand: Hand = .mostDetected
        /// Recorded as every clip's signer (these folders rarely say who signed).
        public var signer: String?
        public var fps: Double?
        public var manifestName = "manifest.json"
        public init(hand: Hand = .mostDetected, signer: String? = nil, fps: Double? = nil) {
            self.hand = hand
            self.signer = signer
            self.fps = fps
        }
    }

    /// Imports every `<sign>/<sequence>/` under `root`. Frames are ordered by their numeric file
    /// name (`2.npy` before `10.npy`); a non-numeric frame name is an error; non-`.npy` files
    /// and empty sequence folders are skipped and counted.
    @discardableResult
    public static func run(root: URL, to outputDirectory: URL, options: Options = Options()) throws -> ImportSummary {
        var writer = ImportWriter(outputDirectory: outputDirectory, manifestName: options.manifestName, format: format)
        let signs = try folderEntries(root).filter(isDirectory).sorted { $0.lastPathComponent < $1.lastPathComponent }
        guard !signs.isEmpty else { throw DatasetError.badInput(file: root.path, problem: "no <sign>/ folders") }
        for sign in signs {
            let label = sign.lastPathComponent
            let entries = try folderEntries(sign)
            let sequences = sortedNumericallyWhenPossible(entries.filter(isDirectory))
            writer.skip("files beside sequence folders", count: entries.count - sequences.count)
            if sequences.isEmpty { writer.summary.warnings.append("sign folder '\(label)' holds no sequences") }
            for sequence in sequences {
                let (left, right, skippedFiles, nonFinite) = try readFrames(sequence)
                writer.skip("non-.npy files in sequence folders", count: skippedFiles)
                writer.summary.nonFiniteFrames += nonFinite
                guard !left.isEmpty else { writer.skip("empty sequence folders"); continue }
                let leftCount = left.filter(\.present).count, rightCount = right.filter(\.present).count
                let keepLeft = options.hand == .left || (options.hand == .mostDetected && leftCount > rightCount)
                let chosen = keepLeft ? left : right
                let clip = LandmarkClip(values: chosen.flatMap(\.values), mask: chosen.map(\.present))
                let name = sequence.lastPathComponent
                try writer.add(clip, clipID: "\(clipIDComponent(label))_\(clipIDComponent(name))", label: label,
                               sourceFile: "\(label)/\(name)", signer: options.signer, hasZ: true, fps: options.fps,
                               metadata: ["hand": .string(keepLeft ? "left" : "right"), "sequence": .string(name),
                                          "left_frames": .int(leftCount),
                                          "right_frames": .int(rightCount)])
            }
        }
        return try writer.finish().summary
    }

    typealias HandFrame = (values: ArraySlice<Float>, present: Bool)

    /// The sequence's frames split into left and right hand, in numeric frame order.
    static func readFrames(_ sequence: URL) throws -> (left: [HandFrame], right: [HandFrame], skipped: Int, nonFinite: Int) {
        let files = try folderEntries(sequence)
        let frames = files.filter { $0.pathExtension == "npy" }
        for frame in frames where Int(frame.deletingPathExtension().lastPathComponent) == nil {
            throw DatasetError.badInput(file: frame.path, problem: "frame file name is not a frame number")
        }
        var left = [HandFrame](), right = [HandFrame]()
        var nonFinite = 0
        for frame in sortedNumericallyWhenPossible(frames, name: { $0.deletingPathExtension().lastPathComponent }) {
            let array: NDArray
            do { array = try NPY.read(contentsOf: frame) } catch let error as ArrayFileError {
                throw DatasetError.arrayFile(error)
            }
            guard array.count == valuesPerFrame, array.isFloatingPoint, let values = array.tensor()?.scalars else {
                throw DatasetError.badInput(file: frame.path,
                                            problem: "shape \(array.shape) \(array.dtypeName): expected \(valuesPerFrame) numbers (left hand 21×3, right hand 21×3)")
            }
            // A hand holding NaN/Inf is "not detected" in that frame (zeroed; the frame is counted).
            if values.contains(where: { !$0.isFinite }) { nonFinite += 1 }
            for hand in [values[0..<63], values[63..<126]] {
                let usable = hand.allSatisfy(\.isFinite)
                let frame: HandFrame = usable ? (hand, hand.contains { $0 != 0 }) : (ArraySlice(repeating: 0, count: 63), false)
                if hand.startIndex == 0 { left.append(frame) } else { right.append(frame) }
            }
        }
        return (left, right, files.count - frames.count, nonFinite)
    }
}
