import XCTest
import Media
import TestSupport
@testable import Hands

/// Recovery of the hands MediaPipe misses (`HandRecoveryOptions`): the image views and their
/// maps back to the original, the settings' ranges, and on the real letter photos of
/// `../shared` — coverage, hands that are right, MediaPipe's own hands left untouched, and no
/// hand made up from images that hold none.
final class HandRecoveryTests: XCTestCase {
    // MARK: views (no models needed)

    /// A W×H image whose pixel (x, y) holds (x, y, 7x + 3y mod 256): every pixel tells where it was.
    func labelledImage(_ width: Int, _ height: Int) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                pixels[(y * width + x) * 3] = UInt8(x)
                pixels[(y * width + x) * 3 + 1] = UInt8(y)
                pixels[(y * width + x) * 3 + 2] = UInt8((7 * x + 3 * y) % 256)
            }
        }
        return pixels
    }

    func testEveryViewMapsItsPixelsBackToWhereTheyCameFrom() throws {
        let (W, H) = (9, 5)
        let image = labelledImage(W, H)
        for attempt in [HandRecoveryOptions.Attempt.mirrored, .rotated90, .rotated270, .rotated180, .zoomedOut] {
            let view = try XCTUnwrap(image.withUnsafeBufferPointer { RecoveryView.make(attempt, image: $0, width: W, height: H, zoomOut: 1.6) })
            let turned = attempt == .rotated90 || attempt == .rotated270
            if turned { XCTAssertEqual([view.width, view.height], [H, W], "\(attempt)") }
            var inside = 0
            for y in 0..<view.height {
                for x in 0..<view.width {
                    let (ox, oy) = view.toOriginal(Double(x), Double(y))
                    let px = Array(view.pixels[((y * view.width + x) * 3)..<((y * view.width + x) * 3 + 3)])
                    guard ox >= 0, oy >= 0, ox < Double(W), oy < Double(H) else {
                        XCTAssertEqual(px, [0, 0, 0], "\(attempt): the margin is black at (\(x), \(y))")
                        continue
                    }
                    inside += 1
                    XCTAssertEqual(ox, ox.rounded(), "\(attempt)")
                    let s = (Int(oy) * W + Int(ox)) * 3
                    XCTAssertEqual(px, Array(image[s..<(s + 3)]), "\(attempt): view (\(x), \(y)) ← original (\(ox), \(oy))")
                }
            }
            XCTAssertEqual(inside, W * H, "\(attempt): every original pixel appears once")
        }
        // Attempts on the original image itself have no view; upscaling only small images.
        image.withUnsafeBufferPointer { p in
            XCTAssertNil(RecoveryView.make(.lowerThreshold, image: p, width: W, height: H, zoomOut: 1.6))
            XCTAssertNil(RecoveryView.make(.wholeImage, image: p, width: W, height: H, zoomOut: 1.6))
        }
        let large = [UInt8](repeating: 9, count: 200 * 192 * 3)
        large.withUnsafeBufferPointer { XCTAssertNil(RecoveryView.make(.upscaled, image: $0, width: 200, height: 192, zoomOut: 1.6)) }
    }

    func testUpscalingIsBilinearAndItsMapInvertsIt() throws {
        // A linear ramp is reproduced exactly by bilinear sampling away from the clamped border,
        // so each upscaled pixel's value says where in the original it sampled.
        let (W, H) = (40, 30)
        var image = [UInt8](repeating: 0, count: W * H * 3)
        for y in 0..<H { for x in 0..<W { image[(y * W + x) * 3] = UInt8(5 * x); image[(y * W + x) * 3 + 1] = UInt8(7 * y) } }
        let view = try XCTUnwrap(image.withUnsafeBufferPointer { RecoveryView.make(.upscaled, image: $0, width: W, height: H, zoomOut: 1.6) })
        XCTAssertEqual([view.width, view.height], [280, 210], "×7 brings the short side (30) to ≥ 192")
        for (x, y) in [(10, 10), (100, 57), (250, 180), (143, 99)] {
            let (ox, oy) = view.toOriginal(Double(x), Double(y))
            let i = (y * view.width + x) * 3
            XCTAssertEqual(Double(view.pixels[i]), 5 * ox, accuracy: 0.51, "x at (\(x), \(y))")
            XCTAssertEqual(Double(view.pixels[i + 1]), 7 * oy, accuracy: 0.51, "y at (\(x), \(y))")
        }
    }

    func testSettingsOutOfRangeAreNamed() throws {
        XCTAssertNil(HandRecoveryOptions().problem)
        let cases: [(HandRecoveryOptions, String)] = [
            (HandRecoveryOptions(minDetectionConfidence: 0), "palm threshold 0.0"),
            (HandRecoveryOptions(minDetectionConfidence: 1.5), "palm threshold 1.5"),
            (HandRecoveryOptions(minPresence: 1), "presence threshold 1.0"),
            (HandRecoveryOptions(minPresence: .nan), "presence threshold nan"),
            (HandRecoveryOptions(minImageSide: 2), "minimum image side 2"),
            (HandRecoveryOptions(zoomOut: 0.5), "zoom-out factor 0.5"),
            (HandRecoveryOptions(attempts: []), "at least one attempt"),
        ]
        for (options, words) in cases {
            XCTAssertTrue(options.problem?.contains(words) == true, "\(options.problem ?? "nil") should say \(words)")
        }
        // The tracker refuses them before it looks for the models.
        var bad = HandTrackerOptions(staticImageMode: true)
        bad.recovery = HandRecoveryOptions(minPresence: 2)
        XCTAssertThrowsError(try HandTracker(options: bad, modelDirectory: URL(fileURLWithPath: "/nonexistent"))) {
            XCTAssertEqual($0 as? HandsError, .badOption("recovery presence threshold 2.0 is outside (0, 1)"))
        }
    }

    // MARK: real photos and models

    var modelDirectory: URL { TestEnvironment.repositoryRoot.appendingPathComponent("models/mediapipe") }

    func tracker(recovery: HandRecoveryOptions?, maxHands: Int = 1) throws -> HandTracker {
        guard TestEnvironment.mediapipeModel("palm_detection_full") != nil else {
            throw XCTSkip("MediaPipe models missing in models/mediapipe (run make setup)")
        }
        var options = HandTrackerOptions(maxHands: maxHands, staticImageMode: true)
        options.recovery = recovery
        return try HandTracker(options: options, modelDirectory: modelDirectory)
    }

    func testNothingIsMadeUpFromImagesWithoutAHand() throws {
        let tracker = try tracker(recovery: HandRecoveryOptions())
        let (W, H) = (224, 224)
        var rng = SystemRandomNumberGenerator()
        let images: [(String, [UInt8])] = [
            ("grey", [UInt8](repeating: 128, count: W * H * 3)),
            ("noise", (0..<(W * H * 3)).map { _ in UInt8.random(in: 0...255, using: &rng) }),
            ("waves", (0..<(W * H * 3)).map { i in
                let x = Double(i / 3 % W), y = Double(i / 3 / W), c = Double(i % 3)
                return UInt8(127.5 + 127.5 * sin(x / 9 + c) * cos(y / 13 - c))
            }),
            ("stripes", (0..<(W * H * 3)).map { i in (i / 3 % W) / 16 % 2 == 0 ? 230 : 40 }),
        ]
        for (name, pixels) in images {
            let result = try tracker.process(pixels: pixels, width: W, height: H)
            XCTAssertEqual(result.hands.count, 0, name)
            XCTAssertEqual(result.recovery, .missing, name)
        }
        let tiny = try tracker.process(pixels: [UInt8](repeating: 90, count: 20 * 40 * 3), width: 40, height: 20)
        XCTAssertEqual(tiny.recovery, .tooSmall, "a 40×20 image is under the 32 px minimum")
    }

    /// The photos MediaPipe misses (per its own output in the oracle) are recovered, by a stated
    /// presence gate, and the recovered hands are right: each one's nearest neighbour among
    /// MediaPipe's own hands on the other photos (normalised landmarks) has its letter.
    func testLetterPhotosMediaPipeMissesAreRecoveredAndRight() throws {
        guard let oracle = TestEnvironment.sharedPath("oracle"),
              let root = TestEnvironment.sharedPath("realdata/asl_alphabet_photos_224") else {
            throw XCTSkip(TestEnvironment.sharedMissingMessage)
        }
        let records = try JSONSerialization.jsonObject(with: Data(contentsOf: oracle.appendingPathComponent("letters_224_max1.json")))
            as! [String: Any]
        let images = records["images"] as! [[String: Any]]
        // MediaPipe's own hands: the reference every recovered hand is judged against.
        var reference: [(label: String, features: [Double])] = []
        var missed: [(path: String, label: String)] = []
        for image in images {
            let label = image["class"] as! String
            if let hand = (image["hands"] as! [[String: Any]]).first {
                let points = (hand["landmarks"] as! [[Double]]).map { Landmark(x: $0[0], y: $0[1], z: $0[2]) }
                reference.append((label, Self.features(points)))
            } else {
                missed.append((image["path"] as! String, label))
            }
        }
        XCTAssertGreaterThan(missed.count, 20, "MediaPipe misses O, Q, M and Space photos")
        let tracker = try tracker(recovery: HandRecoveryOptions())
        var recovered = 0, right = 0
        var wrong: [String] = []
        for photo in missed {
            let result = try tracker.process(try JPEG.read(root.appendingPathComponent(photo.path)))
            guard let hand = result.hands.first else { continue }
            recovered += 1
            XCTAssertNotNil(hand.recovery, photo.path)
            if case .recovered(let attempt)? = result.recovery { XCTAssertEqual(attempt, hand.recovery, photo.path) } else {
                XCTFail("\(photo.path): outcome \(String(describing: result.recovery))")
            }
            XCTAssertGreaterThan(hand.presence, 0.9, photo.path)
            let f = Self.features(hand.landmarks)
            let nearest = reference.min { Self.distance($0.features, f) < Self.distance($1.features, f) }!
            if nearest.label == photo.label { right += 1 } else { wrong.append("\(photo.path) looks like \(nearest.label)") }
        }
        let coverage = Double(images.count - missed.count + recovered) / Double(images.count)
        print("recovery: \(recovered) of \(missed.count) missed photos recovered, coverage \(coverage), nearest-neighbour right \(right); wrong: \(wrong)")
        XCTAssertGreaterThanOrEqual(coverage, 0.97, "MediaPipe alone \(images.count - missed.count) of \(images.count)")
        XCTAssertGreaterThanOrEqual(Double(right), 0.9 * Double(recovered), "recovered hands that look like another letter: \(wrong)")
    }

    /// Recovery runs only on frames MediaPipe's own pass left empty: its hands are untouched.
    func testMediaPipesOwnHandsAreUnchanged() throws {
        guard let root = TestEnvironment.sharedPath("realdata/asl_alphabet_photos_224/test") else {
            throw XCTSkip(TestEnvironment.sharedMissingMessage)
        }
        let plain = try tracker(recovery: nil, maxHands: 2), recovering = try tracker(recovery: HandRecoveryOptions(), maxHands: 2)
        var compared = 0
        for letter in ["A", "O"] {
            for k in 0..<5 {
                let image = try JPEG.read(root.appendingPathComponent("\(letter)/\(letter)\(k).jpg"))
                let a = try plain.process(image), b = try recovering.process(image)
                XCTAssertNil(a.recovery)
                if a.hands.isEmpty { XCTAssertNotNil(b.recovery); continue }
                compared += 1
                XCTAssertEqual(a.hands, b.hands, "\(letter)\(k)")
                XCTAssertNil(b.recovery, "\(letter)\(k): recovery must not run when MediaPipe found a hand")
            }
        }
        XCTAssertGreaterThan(compared, 5)
    }

    /// x, y of the 21 points relative to the wrist, scaled by the wrist → middle-MCP length.
    static func features(_ points: [Landmark]) -> [Double] {
        let scale = max(hypot(points[9].x - points[0].x, points[9].y - points[0].y), 1e-9)
        return points.flatMap { [($0.x - points[0].x) / scale, ($0.y - points[0].y) / scale] }
    }

    static func distance(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) }
}
