import Foundation
import TensorCore

/// Per-frame `.npy` sequence folders as written by MediaPipe Holistic tutorials
/// (`<sign>/<sequence>/<frame>.npy`, optionally one folder per signer above them). Each frame is
/// one flat vector in one of the layouts people publish (`Layout`): the hands are kept, in
/// normalised image coordinates, all zeros when that hand was not detected — one of them
/// (`--hand`, a one-hand clip) or both (`--hand both`, `FrameLayout.bothHands`), and with
/// `--pose` the 7 upper-body pose points after them. One clip per sequence folder; label = the
/// sign folder's name, verbatim (spaces kept).
public enum FrameSequenceImporter {
    public static let format = "per-frame .npy sequence folders"

    /// How a frame's values are laid out, told apart by their count.
    public enum Layout: String, Sendable, CaseIterable, CustomStringConvertible {
        /// MediaPipe Holistic's 1662 values: pose 33 × (x, y, z, visibility), face 468 × (x, y, z),
        /// left hand 21 × 3 at 1536, right hand 21 × 3 at 1599 — the tutorials' `extract_keypoints`.
        case holistic
        /// Pose 33 × 4, then left and right hand (258 values: the tutorials without the face).
        case poseHands = "pose-hands"
        /// Left hand 21 × 3, then right hand (126 values).
        case hands
        /// One hand, 21 × 3 (63 values); which hand it is, the file does not say.
        case hand

        public var valuesPerFrame: Int {
            switch self {
            case .holistic: return 1662
            case .poseHands: return 258
            case .hands: return 126
            case .hand: return 63
            }
        }

        /// Where the left and the right hand's 63 values start (nil: the layout holds one hand).
        var handOffsets: (left: Int, right: Int)? {
            switch self {
            case .holistic: return (1536, 1599)
            case .poseHands: return (132, 195)
            case .hands: return (0, 63)
            case .hand: return nil
            }
        }

        /// Where the 33 pose points start, 4 values each (x, y, z, visibility), or nil.
        var poseOffset: Int? {
            switch self {
            case .holistic, .poseHands: return 0
            case .hands, .hand: return nil
            }
        }

        public var description: String { "\(rawValue) (\(valuesPerFrame))" }

        static func detect(count: Int) -> Layout? { allCases.first { $0.valuesPerFrame == count } }
        static var known: String { allCases.map(\.description).joined(separator: ", ") }
    }

    /// Which hand becomes the clip, or both.
    public enum Hand: String, Sendable, CaseIterable {
        case left, right
        /// Per sequence, the hand detected in more frames; a tie goes to the right hand
        /// (the dominant hand of most signers).
        case mostDetected = "most-detected"
        /// Both hands, left then right: 42 points a frame (`FrameLayout.bothHands`); a frame
        /// counts as detected when either hand is.
        case both
    }

    /// Where each clip's signer id comes from, when the folders say.
    public enum SignerSource: Sendable, Equatable {
        /// The root holds one folder per signer, each with `<sign>/<sequence>/` inside.
        case folder
        /// The first capture group of a regular expression matched against the sequence's path
        /// below the root (`hello/alice_03`); a path it does not match is an error.
        case pattern(String)
    }

    public struct Options: Sendable {
        public var hand: Hand = .mostDetected
        /// nil: told from the first frame's length.
        public var layout: Layout?
        /// Recorded as every clip's signer (these folders rarely say who signed) ...
        public var signer: String?
        /// ... or each clip's signer, from its folders.
        public var signerFrom: SignerSource?
        /// Mirror a kept left hand into a right hand (x about the wrist), as `extract --mirror-left`
        /// does, so that one model sees every signer's hand the same way round.
        public var mirrorLeft = false
        /// Keep the 7 upper-body pose points after the hand(s) (`FrameLayout.poseIndices`;
        /// layouts holistic and pose-hands only).
        public var pose = false
        public var fps: Double?
        public var manifestName = "manifest.json"
        public init(hand: Hand = .mostDetected, layout: Layout? = nil, signer: String? = nil,
                    signerFrom: SignerSource? = nil, mirrorLeft: Bool = false, pose: Bool = false, fps: Double? = nil) {
            self.hand = hand
            self.pose = pose
            self.layout = layout
            self.signer = signer
            self.signerFrom = signerFrom
            self.mirrorLeft = mirrorLeft
            self.fps = fps
        }
    }

    /// Imports every `<sign>/<sequence>/` under `root` (or `<signer>/<sign>/<sequence>/`).
    /// Frames are ordered by their numeric file name (`2.npy` before `10.npy`); a non-numeric
    /// frame name is an error; non-`.npy` files and empty sequence folders are skipped and
    /// counted. All frames of one import share one layout: a frame of another is an error
    /// naming it and the first frame.
    @discardableResult
    public static func run(root: URL, to outputDirectory: URL, options: Options = Options()) throws -> ImportSummary {
        if options.signer != nil, options.signerFrom != nil {
            throw DatasetError.invalidOptions("--signer and --signer-from: give one (a fixed id, or where the folders name the signer)")
        }
        if options.hand == .both && options.mirrorLeft {
            throw DatasetError.invalidOptions("--mirror-left and --hand both: with both hands kept there is no single hand to mirror "
                                              + "(train with --augment-mirror, which swaps the hands as it mirrors)")
        }
        if options.pose, let required = options.layout, required.poseOffset == nil {
            throw DatasetError.invalidOptions("--pose: --layout \(required.rawValue) holds no pose points (holistic and pose-hands do)")
        }
        let pattern = try options.signerFrom.flatMap(signerPattern)
        var writer = ImportWriter(outputDirectory: outputDirectory, manifestName: options.manifestName, format: format)
        var layout = LayoutLock(required: options.layout)
        // (signer folder name, the folder holding the sign folders)
        var groups: [(signer: String?, folder: URL)] = []
        if options.signerFrom == .folder {
            let entries = try folderEntries(root)
            let signers = entries.filter(isDirectory).sorted { $0.lastPathComponent < $1.lastPathComponent }
            guard !signers.isEmpty else { throw DatasetError.badInput(file: root.path, problem: "no <signer>/ folders") }
            writer.skip("files beside signer folders", count: entries.count - signers.count)
            groups = signers.map { ($0.lastPathComponent, $0) }
        } else {
            groups = [(nil, root)]
        }
        for group in groups {
            let signs = try folderEntries(group.folder).filter(isDirectory).sorted { $0.lastPathComponent < $1.lastPathComponent }
            guard !signs.isEmpty else { throw DatasetError.badInput(file: group.folder.path, problem: "no <sign>/ folders") }
            for sign in signs {
                let label = sign.lastPathComponent
                let entries = try folderEntries(sign)
                let sequences = sortedNumericallyWhenPossible(entries.filter(isDirectory))
                writer.skip("files beside sequence folders", count: entries.count - sequences.count)
                let place = group.signer.map { "\($0)/\(label)" } ?? label
                if sequences.isEmpty { writer.summary.warnings.append("sign folder '\(place)' holds no sequences") }
                for sequence in sequences {
                    let name = sequence.lastPathComponent
                    let relative = "\(place)/\(name)"
                    let signer = try pattern.map { try match($0, relative, sequence) } ?? group.signer ?? options.signer
                    let frames = try readFrames(sequence, layout: &layout, pose: options.pose)
                    if options.pose, let found = layout.found, found.poseOffset == nil {
                        throw DatasetError.badInput(file: layout.firstFile ?? sequence.path, problem:
                            "--pose: the frames are \(found) values, which hold no pose points (holistic and pose-hands do)")
                    }
                    if options.hand == .both, layout.found == .hand {
                        throw DatasetError.badInput(file: layout.firstFile ?? sequence.path, problem:
                            "--hand both: the frames are \(Layout.hand) values, one hand; which hand it is, the file does not say")
                    }
                    writer.skip("non-.npy files in sequence folders", count: frames.skipped)
                    writer.summary.nonFiniteFrames += frames.nonFinite
                    guard !frames.left.isEmpty else { writer.skip("empty sequence folders"); continue }
                    let (clip, metadata) = chooseHand(frames, options.hand, mirrorLeft: options.mirrorLeft)
                    let id = [group.signer, label, name].compactMap { $0 }.map(clipIDComponent).joined(separator: "_")
                    try writer.add(clip, clipID: id, label: label, sourceFile: relative, signer: signer, hasZ: true,
                                   fps: options.fps,
                                   metadata: metadata.merging(["sequence": .string(name),
                                                               "layout": .string(layout.found!.rawValue)]) { a, _ in a })
                }
            }
        }
        if layout.found == .hand, options.hand != .mostDetected {
            writer.summary.warnings.append("--hand \(options.hand.rawValue) has no effect: the frames hold one hand (layout 'hand', 63 values)")
        }
        return try writer.finish().summary
    }

    /// The hand a clip keeps (or both), with the pose points when read, and what the manifest
    /// records about the choice.
    static func chooseHand(_ frames: SequenceFrames, _ hand: Hand, mirrorLeft: Bool = false) -> (LandmarkClip, [String: JSONValue]) {
        var (clip, metadata) = chooseHands(frames, hand, mirrorLeft: mirrorLeft)
        guard let pose = frames.pose else { return (clip, metadata) }
        let width = clip.frameWidth, layout = FrameLayout(hands: clip.layout.hands, pose: true)
        var values = [Float]()
        values.reserveCapacity(clip.frameCount * layout.values)
        for t in 0..<clip.frameCount {
            values += clip.values[(t * width)..<((t + 1) * width)]
            values += pose[t]
        }
        clip = LandmarkClip(values: values, mask: clip.mask, layout: layout)
        metadata["pose_frames"] = .int(pose.filter { $0.contains { $0 != 0 } }.count)
        return (clip, metadata)
    }

    static func chooseHands(_ frames: SequenceFrames, _ hand: Hand, mirrorLeft: Bool) -> (LandmarkClip, [String: JSONValue]) {
        guard let right = frames.right else {
            let clip = LandmarkClip(values: frames.left.flatMap(\.values), mask: frames.left.map(\.present))
            return (clip, ["hand": .string("single"), "frames_with_hand": .int(frames.left.filter(\.present).count)])
        }
        let left = frames.left
        let leftCount = left.filter(\.present).count, rightCount = right.filter(\.present).count
        if hand == .both {
            var values = [Float]()
            values.reserveCapacity(left.count * 2 * LandmarkClip.valuesPerFrame)
            for (l, r) in zip(left, right) { values += l.values; values += r.values }
            let mask = zip(left, right).map { $0.present || $1.present }
            return (LandmarkClip(values: values, mask: mask, layout: .bothHands),
                    ["hand": .string("both"), "left_frames": .int(leftCount), "right_frames": .int(rightCount)])
        }
        let keepLeft = hand == .left || (hand == .mostDetected && leftCount > rightCount)
        let chosen = keepLeft ? left : right
        var values = chosen.flatMap(\.values)
        let mirrored = keepLeft && mirrorLeft
        if mirrored { LandmarkClip.mirrorAboutWrist(&values) }
        var metadata: [String: JSONValue] = ["hand": .string(keepLeft ? "left" : "right"), "left_frames": .int(leftCount),
                                             "right_frames": .int(rightCount)]
        if mirrored { metadata["mirrored"] = .bool(true) }
        if mirrorLeft { metadata[LandmarkRecord.mirrorLeftKey] = .bool(true) }   // the option, on every clip: `build` passes it on
        return (LandmarkClip(values: values, mask: chosen.map(\.present)), metadata)
    }

    typealias HandFrame = (values: ArraySlice<Float>, present: Bool)

    /// A sequence's frames in numeric order, split into hands (`right` nil for a one-hand layout).
    struct SequenceFrames {
        var left: [HandFrame] = []
        var right: [HandFrame]?
        /// Per frame, the 7 kept pose points' (x, y, z) (zeros when no pose), when asked for.
        var pose: [[Float]]?
        var skipped = 0
        var nonFinite = 0
    }

    /// The layout of an import: the one asked for, or the first frame's, which every later
    /// frame must share.
    struct LayoutLock {
        let required: Layout?
        var found: Layout?
        var firstFile: String?
        init(required: Layout?) {
            self.required = required
            found = required
        }

        mutating func check(_ file: URL, count: Int, dtype: String) throws -> Layout {
            if let found {
                guard count == found.valuesPerFrame else {
                    let other = Layout.detect(count: count).map { " (\($0.rawValue))" } ?? ""
                    if required != nil && firstFile == nil {
                        throw DatasetError.badInput(file: file.path, problem:
                            "\(count) \(dtype) values a frame\(other), but --layout \(found.rawValue) takes \(found.valuesPerFrame)")
                    }
                    throw DatasetError.badInput(file: file.path, problem:
                        "\(count) values a frame\(other), but \(firstFile ?? "the first frame") has \(found.valuesPerFrame) "
                        + "(\(found.rawValue)): one import takes one layout")
                }
                if firstFile == nil { firstFile = file.path }
                return found
            }
            guard let layout = Layout.detect(count: count) else {
                throw DatasetError.badInput(file: file.path, problem:
                    "\(count) \(dtype) values a frame fit no known layout (\(Layout.known))")
            }
            found = layout
            firstFile = file.path
            return layout
        }
    }

    /// The sequence's frames split into hands, in numeric frame order.
    static func readFrames(_ sequence: URL, layout: inout LayoutLock, pose: Bool = false) throws -> SequenceFrames {
        let files = try folderEntries(sequence)
        let frameFiles = files.filter { $0.pathExtension == "npy" }
        for frame in frameFiles where Int(frame.deletingPathExtension().lastPathComponent) == nil {
            throw DatasetError.badInput(file: frame.path, problem: "frame file name is not a frame number")
        }
        var result = SequenceFrames(skipped: files.count - frameFiles.count)
        for file in sortedNumericallyWhenPossible(frameFiles, name: { $0.deletingPathExtension().lastPathComponent }) {
            let array: NDArray
            do { array = try NPY.read(contentsOf: file) } catch let error as ArrayFileError {
                throw DatasetError.arrayFile(error)
            }
            guard array.isFloatingPoint, let values = array.tensor()?.scalars else {
                throw DatasetError.badInput(file: file.path, problem: "shape \(array.shape) \(array.dtypeName): expected floating-point landmark values")
            }
            let frameLayout = try layout.check(file, count: array.count, dtype: "\(array.dtypeName)")
            // A hand holding NaN/Inf is "not detected" in that frame (zeroed; the frame is counted).
            if values.contains(where: { !$0.isFinite }) { result.nonFinite += 1 }
            func hand(at offset: Int) -> HandFrame {
                let hand = values[offset..<offset + LandmarkClip.valuesPerFrame]
                return hand.allSatisfy(\.isFinite) ? (hand, hand.contains { $0 != 0 })
                    : (ArraySlice(repeating: 0, count: LandmarkClip.valuesPerFrame), false)
            }
            if pose, let offset = frameLayout.poseOffset {
                // x, y, z of each kept point (visibility dropped); a pose holding NaN/Inf is no pose.
                let points = FrameLayout.poseIndices.flatMap { j in values[(offset + 4 * j)..<(offset + 4 * j + 3)] }
                if result.pose == nil { result.pose = [] }
                result.pose!.append(points.allSatisfy(\.isFinite) ? points : [Float](repeating: 0, count: points.count))
            }
            if let offsets = frameLayout.handOffsets {
                result.left.append(hand(at: offsets.left))
                result.right = result.right ?? []
                result.right!.append(hand(at: offsets.right))
            } else {
                result.left.append(hand(at: 0))
            }
        }
        return result
    }

    static func signerPattern(_ source: SignerSource) throws -> NSRegularExpression? {
        guard case .pattern(let text) = source else { return nil }
        let regex: NSRegularExpression
        do { regex = try NSRegularExpression(pattern: text) } catch {
            throw DatasetError.invalidOptions("--signer-from: '\(text)' is not a regular expression")
        }
        guard regex.numberOfCaptureGroups >= 1 else {
            throw DatasetError.invalidOptions("--signer-from: '\(text)' needs a capture group, e.g. '^[^/]+/([a-z]+)_' for hello/alice_03")
        }
        return regex
    }

    static func match(_ regex: NSRegularExpression, _ relative: String, _ sequence: URL) throws -> String {
        let range = NSRange(relative.startIndex..., in: relative)
        guard let found = regex.firstMatch(in: relative, range: range),
              let group = Range(found.range(at: 1), in: relative), !group.isEmpty else {
            throw DatasetError.badInput(file: sequence.path, problem:
                "'\(relative)' does not match --signer-from '\(regex.pattern)' (its first group names the signer)")
        }
        return String(relative[group])
    }
}
