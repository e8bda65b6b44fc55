import Datasets
import Foundation
import Hands
import LandmarkExtraction
import Media
import NeuralNets
import TensorCore
import TestSupport
import Training
import XCTest
@testable import Inference

/// Photos and video end to end: the landmarks the predictor feeds are those `prepare-alphabet`
/// and `extract` store, sliding windows are where they should be, and motion routes windows
/// between the letter and the sign model.
final class MediaPredictionTests: XCTestCase {
    var modelDirectory: URL { TestEnvironment.repositoryRoot.appendingPathComponent("models/mediapipe") }

    func requireRealData() throws {
        guard TestEnvironment.sharedPath("realdata") != nil else { throw XCTSkip(TestEnvironment.sharedMissingMessage) }
        guard TestEnvironment.mediapipeModel("palm_detection_full") != nil else {
            throw XCTSkip("MediaPipe models missing in models/mediapipe (run make setup)")
        }
    }

    func testImagePredictionFeedsWhatPrepareAlphabetStores() throws {
        try requireRealData()
        let fx = try Fixtures.letters.get()
        let directory = try TestEnvironment.temporaryDirectory("inference-photos")
        defer { try? FileManager.default.removeItem(at: directory) }
        let root = TestEnvironment.sharedPath("realdata/asl_alphabet_photos_224/test")!
        var photos: [URL] = []
        for letter in ["A", "B", "L", "V"] {
            let folder = directory.appendingPathComponent("photos/\(letter)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let copy = folder.appendingPathComponent("\(letter)0.jpg")
            try FileManager.default.copyItem(at: root.appendingPathComponent("\(letter)/\(letter)0.jpg"), to: copy)
            photos.append(copy)
        }
        var options = ExtractionOptions()
        options.modelDirectory = modelDirectory
        options.tracker.maxHands = 1
        _ = try AlphabetPreparation.run(photoRoot: directory.appendingPathComponent("photos"),
                                        outputDirectory: directory.appendingPathComponent("landmarks"), options: options)
        let manifest = try LandmarkManifest.read(contentsOf: directory.appendingPathComponent("landmarks/alphabet_manifest.json"))
        XCTAssertGreaterThanOrEqual(manifest.records.count, 3, "hands found in most of the photos")

        let predictor = try ASLPredictor(checkpoint: fx.checkpoint)
        var trackerOptions = HandTrackerOptions()
        trackerOptions.maxHands = 1
        let hands = try HandLandmarkSource(options: trackerOptions, staticImages: true, modelDirectory: modelDirectory)
        for (i, record) in manifest.records.enumerated() {
            let stored = try manifest.loadClip(at: i)
            let photo = URL(fileURLWithPath: record.sourceFile)
            let image = try ImageFiles.read(photo)
            let found = try XCTUnwrap(try hands.landmarks(image), record.clipID)
            let fed = predictor.input.prepare(LandmarkClip(values: found.values, mask: [true]))
            let expected = predictor.input.prepare(stored)
            XCTAssertEqual(fed.mask, [true])
            for (a, b) in zip(fed.values, expected.values) { XCTAssertEqual(a, b, accuracy: 1e-5, "\(record.clipID)") }
            let viaImage = try predictor.predictImage(image, hands: hands, k: 3, item: photo.lastPathComponent)
            let viaStored = Array(try predictor.predictDistribution(clip: stored).prefix(3))
            XCTAssertEqual(viaImage.map(\.label), viaStored.map(\.label))
            for (a, b) in zip(viaImage, viaStored) { XCTAssertEqual(a.confidence, b.confidence, accuracy: 1e-4) }
        }
        // No hand: a blank image is reported by name.
        let blank = RGBImage(width: 128, height: 128)
        XCTAssertThrowsError(try predictor.predictImage(blank, hands: hands, item: "blank.png")) {
            XCTAssertEqual($0 as? InferenceError, .noHand(item: "blank.png"))
        }
    }

    /// Windows over a real clip: positions follow window/stride, times come from the frames, and
    /// the landmarks fed are `extract`'s (streaming equals feeding the extracted clip).
    func testVideoSlidingWindowsOnARealClip() throws {
        try requireRealData()
        let fx = try Fixtures.letters.get()
        let video = TestEnvironment.sharedPath("realdata/msasl_videos/7G6B6kaMjb4.mp4")!
        let directory = try TestEnvironment.temporaryDirectory("inference-video")
        defer { try? FileManager.default.removeItem(at: directory) }
        let signs = try Fixtures.sequenceCheckpoint(.tcn, T: 8, labels: ["hello", "thanks", "yes", "no"], in: directory)
        let letter = try ASLPredictor(checkpoint: fx.checkpoint), sign = try ASLPredictor(checkpoint: signs)
        let options = SlidingWindowRecognizer.Options(window: 8, stride: 4, motionThreshold: 0.04, topK: 2)
        var trackerOptions = HandTrackerOptions()
        trackerOptions.complexity = .lite
        let hands = try HandLandmarkSource(options: trackerOptions, staticImages: false, modelDirectory: modelDirectory)
        var windows: [WindowPrediction] = []
        let frames = try VideoRecognition.run(video, recognizer: SlidingWindowRecognizer(letterModel: letter, signModel: sign, options: options),
                                              hands: hands) { windows.append($0) }
        XCTAssertGreaterThan(frames, 16)
        XCTAssertEqual(windows.count, 1 + (frames - 8) / 4)
        var allFrames = try VideoReader(url: video).frames()
        let times = try allFrames.collectTimes()
        for (i, w) in windows.enumerated() {
            XCTAssertEqual(w.index, i)
            XCTAssertEqual(w.frames, 8)
            XCTAssertEqual(w.start, times[4 * i], accuracy: 1e-9)
            XCTAssertEqual(w.end, times[4 * i + 7], accuracy: 1e-9)
            if w.handFrames > 0 {
                XCTAssertEqual(w.scores.count, 2)
                XCTAssertEqual(w.model, w.motion >= 0.04 ? "sign" : "letter")
            } else {
                XCTAssertEqual(w.error, "no hand in window")
            }
        }
        XCTAssertTrue(windows.contains { $0.handFrames > 0 }, "the signer's hand is found")

        // The extracted clip fed frame by frame gives the same windows.
        var extraction = ExtractionOptions()
        extraction.tracker = trackerOptions
        let tracker = try HandTracker(options: { var o = trackerOptions; o.staticImageMode = false; return o }(), modelDirectory: modelDirectory)
        let (clip, _, _, _) = try ClipExtraction.extract(.init(clipID: "c", label: "x", video: video), tracker: tracker, options: extraction)
        XCTAssertEqual(clip.frameCount, frames)
        try assertReplayGivesTheSameWindows(clip, times: times, windows: windows,
                                            SlidingWindowRecognizer(letterModel: letter, signModel: sign, options: options))
    }

    /// A model of both hands on video: the tracker gives it the signer's left and right hand as
    /// `extract --hand both` stores them (the same windows when the extracted clip is replayed),
    /// and a one-hand input is refused naming both layouts.
    func testTwoHandModelOnVideoSeesWhatExtractBothStores() throws {
        try requireRealData()
        let video = TestEnvironment.sharedPath("realdata/msasl_videos/7G6B6kaMjb4.mp4")!
        let directory = try TestEnvironment.temporaryDirectory("inference-video-hands")
        defer { try? FileManager.default.removeItem(at: directory) }
        let checkpoint = try Fixtures.sequenceCheckpoint(.tcn, T: 8, labels: ["hello", "thanks", "yes"], in: directory,
                                                         features: [.coords, .distances], layout: .bothHands)
        let model = try ASLPredictor(checkpoint: checkpoint)
        XCTAssertEqual(model.modelInfo.inputShape, [8, 42, 3])
        XCTAssertThrowsError(try model.predictDistribution(Tensor(shape: [8, 21, 3], scalars: [Float](repeating: 0.5, count: 8 * 63)))) {
            XCTAssertTrue("\($0)".contains("its frames hold 21 points (one hand), the model takes 42 points (left and right hand)"), "\($0)")
        }
        let options = SlidingWindowRecognizer.Options(window: 8, stride: 4, topK: 2)
        var trackerOptions = HandTrackerOptions()
        trackerOptions.complexity = .lite
        trackerOptions.maxHands = 2
        let hands = try HandLandmarkSource(options: trackerOptions, staticImages: false, modelDirectory: modelDirectory, hand: .both)
        XCTAssertEqual(hands.layout, .bothHands)
        var windows: [WindowPrediction] = []
        let frames = try VideoRecognition.run(video, recognizer: SlidingWindowRecognizer(letterModel: model, options: options),
                                              hands: hands) { windows.append($0) }
        XCTAssertTrue(windows.contains { $0.handFrames > 0 && $0.scores.count == 2 })

        var extraction = ExtractionOptions()
        extraction.tracker = trackerOptions
        extraction.hand = .both
        let tracker = try HandTracker(options: { var o = trackerOptions; o.staticImageMode = false; return o }(), modelDirectory: modelDirectory)
        let (clip, _, _, _) = try ClipExtraction.extract(.init(clipID: "c", label: "x", video: video), tracker: tracker, options: extraction)
        XCTAssertEqual(clip.layout, .bothHands)
        XCTAssertEqual(clip.frameCount, frames)
        // Every detected frame holds at least one hand, on its side; absent sides are zeros.
        for t in 0..<clip.frameCount where clip.mask[t] {
            let f = Array(clip.frame(t))
            XCTAssertTrue(f[0..<63].contains { $0 != 0 } || f[63..<126].contains { $0 != 0 }, "frame \(t)")
        }
        var allFrames = try VideoReader(url: video).frames()
        let times = try allFrames.collectTimes()
        try assertReplayGivesTheSameWindows(clip, times: times, windows: windows, SlidingWindowRecognizer(letterModel: model, options: options))
    }

    /// The extracted clip pushed frame by frame into `replay` gives `windows` again.
    func assertReplayGivesTheSameWindows(_ clip: LandmarkClip, times: [Double], windows: [WindowPrediction], _ replay: SlidingWindowRecognizer,
                                         file: StaticString = #filePath, line: UInt = #line) throws {
        var replayed: [WindowPrediction] = []
        for t in 0..<clip.frameCount {
            if let w = try replay.push(clip.mask[t] ? Array(clip.frame(t)) : nil, time: times[t]) { replayed.append(w) }
        }
        XCTAssertEqual(replayed.count, windows.count, file: file, line: line)
        for (a, b) in zip(windows, replayed) {
            XCTAssertEqual(a.handFrames, b.handFrames, file: file, line: line)
            XCTAssertEqual(a.model, b.model, file: file, line: line)
            XCTAssertEqual(a.motion, b.motion, accuracy: 1e-9, file: file, line: line)
            XCTAssertEqual(a.scores.map(\.label), b.scores.map(\.label), file: file, line: line)
            for (x, y) in zip(a.scores, b.scores) { XCTAssertEqual(x.confidence, y.confidence, accuracy: 1e-6, file: file, line: line) }
        }
    }

    /// A still hand goes to the letter model, a moving one to the sign model; no hand → no model.
    func testMotionRoutesWindowsBetweenLetterAndSignModels() throws {
        let fx = try Fixtures.letters.get()
        let directory = try TestEnvironment.temporaryDirectory("inference-route")
        defer { try? FileManager.default.removeItem(at: directory) }
        let signs = try Fixtures.sequenceCheckpoint(.lstm, T: 6, labels: ["hello", "thanks"], in: directory)
        let recognizer = SlidingWindowRecognizer(letterModel: try ASLPredictor(checkpoint: fx.checkpoint),
                                                 signModel: try ASLPredictor(checkpoint: signs),
                                                 options: .init(window: 6, stride: 6, motionThreshold: 0.04, topK: 1))
        let hand = try fx.manifest.loadClip(at: 0).values   // raw image coordinates
        let scale = Double(hypot(hand[27] - hand[0], hand[28] - hand[1]))
        var results: [WindowPrediction] = []
        // 6 still frames, 6 frames sliding right by 0.1 hand lengths per frame, 6 frames without a hand.
        for t in 0..<18 {
            var frame: [Float]? = hand
            if t >= 6 && t < 12 { frame = hand.enumerated().map { $0.offset % 3 == 0 ? $0.element + Float(0.1 * scale) * Float(t - 6) : $0.element } }
            if t >= 12 { frame = nil }
            if let w = try recognizer.push(frame, time: Double(t) / 30) { results.append(w) }
        }
        XCTAssertEqual(results.count, 3)
        XCTAssertEqual(results[0].motion, 0, accuracy: 1e-9)
        XCTAssertEqual(results[0].model, "letter")
        XCTAssertEqual(results[1].motion, 0.1, accuracy: 1e-3)
        XCTAssertEqual(results[1].model, "sign")
        XCTAssertEqual(results[1].scores.first.map { ["hello", "thanks"].contains($0.label) }, true)
        XCTAssertNil(results[2].model)
        XCTAssertEqual(results[2].error, "no hand in window")
        XCTAssertEqual(results[2].start, 12.0 / 30, accuracy: 1e-12)
    }
}

extension VideoReader.Frames {
    mutating func collectTimes() throws -> [Double] {
        var times: [Double] = []
        while let frame = try next() { times.append(frame.time) }
        return times
    }
}
