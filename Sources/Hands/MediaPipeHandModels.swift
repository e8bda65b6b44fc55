import Foundation
import Media
import TFLiteRuntime

/// MediaPipe's real palm-detection and hand-landmark TFLite models, run by aslsh's own TFLite
/// interpreter. `models/mediapipe/` holds them after `make setup` (from the mediapipe 0.10.14
/// wheel, sha256-verified); `MediaPipeModelSearch` says where else they are looked for.
public final class MediaPipeHandModels: HandModelRunner {
    let palm: TFLiteInterpreter
    let landmark: TFLiteInterpreter

    /// The two model files a complexity needs.
    public static func fileNames(_ complexity: HandTrackerOptions.Complexity) -> (palm: String, landmark: String) {
        let suffix = complexity == .full ? "full" : "lite"
        return ("palm_detection_\(suffix).tflite", "hand_landmark_\(suffix).tflite")
    }

    /// Loads the models from `directory`, or when nil from the first place
    /// `MediaPipeModelSearch` finds them.
    public init(directory: URL? = nil, complexity: HandTrackerOptions.Complexity = .full, threads: Int = 1) throws {
        let files = Self.fileNames(complexity)
        let folder = try MediaPipeModelSearch(explicit: directory).locate([files.palm, files.landmark])
        func load(_ file: String) throws -> TFLiteInterpreter {
            try TFLiteInterpreter(model: TFLiteModel(contentsOf: folder.appendingPathComponent(file)), threads: threads)
        }
        palm = try load(files.palm)
        landmark = try load(files.landmark)
        // Output order is the subgraph's (spec §1.2), not tensor order: check what we rely on.
        guard palm.inputShapes == [[1, 192, 192, 3]], palm.outputShapes.count == 2,
              landmark.inputShapes == [[1, 224, 224, 3]], landmark.outputShapes.count == 4 else {
            throw HandsError.modelOutput("unexpected model signatures: palm \(palm.inputShapes) → \(palm.outputShapes), "
                                         + "landmark \(landmark.inputShapes) → \(landmark.outputShapes)")
        }
    }

    public func detectPalms(_ input: UnsafeBufferPointer<Float>) throws -> (regressors: [Float], logits: [Float]) {
        palm.withInput(0) { $0.update(fromContentsOf: input) }
        palm.run()
        return (palm.withOutput(0) { Array($0) }, palm.withOutput(1) { Array($0) })
    }

    public func landmarks(_ input: UnsafeBufferPointer<Float>) throws -> LandmarkModelOutput {
        landmark.withInput(0) { $0.update(fromContentsOf: input) }
        landmark.run()
        return LandmarkModelOutput(landmarks: landmark.withOutput(0) { Array($0) },
                                   presence: landmark.withOutput(1) { $0[0] },
                                   handedness: landmark.withOutput(2) { $0[0] },
                                   world: landmark.withOutput(3) { Array($0) })
    }
}

extension HandTracker {
    /// A tracker running MediaPipe's models at the options' complexity, from `modelDirectory` or,
    /// when nil, from wherever `MediaPipeModelSearch` finds them.
    public convenience init(options: HandTrackerOptions = HandTrackerOptions(),
                            modelDirectory: URL? = nil, threads: Int = 1) throws {
        // A bad setting is refused before the models are even looked for.
        if let problem = options.recovery?.problem { throw HandsError.badOption(problem) }
        self.init(options: options, models: try MediaPipeHandModels(directory: modelDirectory,
                                                                   complexity: options.complexity, threads: threads))
    }

    /// Processes one decoded RGB image (alpha, if any, is dropped).
    public func process(_ image: RGBImage) throws -> HandFrameResult {
        if image.channels == 3 { return try process(pixels: image.pixels, width: image.width, height: image.height) }
        var rgb = [UInt8](repeating: 0, count: image.width * image.height * 3)
        for i in 0..<(image.width * image.height) {
            for c in 0..<3 { rgb[i * 3 + c] = image.pixels[i * image.channels + c] }
        }
        return try process(pixels: rgb, width: image.width, height: image.height)
    }
}
