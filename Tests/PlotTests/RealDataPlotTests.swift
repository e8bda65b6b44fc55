import XCTest
@testable import Plot
import TensorCore
import TestSupport

/// Plots of real data from ../shared: MediaPipe's own landmarks (the oracle run) over the ASL
/// alphabet photo they came from, and a real signer's sequence with undetected frames.
final class RealDataPlotTests: XCTestCase {
    struct Oracle: Decodable {
        struct Image: Decodable { var path: String; var width: Int; var height: Int; var hands: [Hand] }
        struct Hand: Decodable { var landmarks: [[Float]] }
        var images: [Image]
    }

    func testOverlayOfMediaPipeLandmarksOnARealPhoto() throws {
        guard let oracleURL = TestEnvironment.sharedPath("oracle/letters_224_max1.json"),
              let photos = TestEnvironment.sharedPath("realdata/asl_alphabet_photos_224") else {
            throw XCTSkip(TestEnvironment.sharedMissingMessage)
        }
        let oracle = try JSONDecoder().decode(Oracle.self, from: Data(contentsOf: oracleURL))
        guard let entry = oracle.images.first(where: { $0.hands.count == 1 }) else { return XCTFail("no detected hand in the oracle") }
        // Decode the JPEG with the ffmpeg CLI (the media module does this in the app).
        let dir = try TestEnvironment.temporaryDirectory("plot-real")
        defer { try? FileManager.default.removeItem(at: dir) }
        let raw = dir.appendingPathComponent("frame.rgb")
        try ExternalTool.run(["ffmpeg", "-v", "error", "-i", photos.appendingPathComponent(entry.path).path,
                              "-f", "rawvideo", "-pix_fmt", "rgb24", "-y", raw.path])
        let image = try OverlayImage(width: entry.width, height: entry.height, pixels: [UInt8](Data(contentsOf: raw)))
        let hand = entry.hands[0].landmarks
        let canvas = try HandPlot.overlay(image: image, hands: [hand], options: OverlayOptions(title: entry.path))
        let c = try roundTrip(canvas, name: "overlay-real")
        XCTAssertEqual(c.width, entry.width)
        for i in [4, 8, 12, 16, 20] {
            let x = Int(Double(hand[i][0]) * Double(entry.width)), y = Int(Double(hand[i][1]) * Double(entry.height))
            guard (0..<entry.width).contains(x), (10..<entry.height).contains(y) else { continue }
            XCTAssertColor(c[x, y], HandSkeleton.color(HandSkeleton.part(ofLandmark: i)), tolerance: 4, "tip \(i)")
        }
        // A photo pixel away from the hand's bounding box keeps its original colour.
        let xs = hand.map { Double($0[0]) * Double(entry.width) }, ys = hand.map { Double($0[1]) * Double(entry.height) }
        var untouched = 0
        for y in stride(from: 30, to: entry.height, by: 7) { for x in stride(from: 0, to: entry.width, by: 7) {
            let far = Double(x) < xs.min()! - 12 || Double(x) > xs.max()! + 12 || Double(y) < ys.min()! - 12 || Double(y) > ys.max()! + 12
            guard far else { continue }
            let i = (y * entry.width + x) * 3
            XCTAssertEqual(c[x, y], Color(image.pixels[i], image.pixels[i + 1], image.pixels[i + 2]))
            untouched += 1
        } }
        XCTAssertGreaterThan(untouched, 50)
    }

    func testRealSequenceMarksUndetectedFramesMissing() throws {
        guard let dir = TestEnvironment.sharedPath("realdata/hand_sequences_npy/MP_Data_New_Trained/can/0") else {
            throw XCTSkip(TestEnvironment.sharedMissingMessage)
        }
        // Each frame: float64 (126,) = left hand 21×3 then right hand; undetected = all zeros.
        var frames: [[[Float]]] = []
        for f in 0..<30 {
            let t = try NPY.read(contentsOf: dir.appendingPathComponent("\(f).npy")).tensor()!
            XCTAssertEqual(t.shape, [126])
            let right = Array(t.scalars[63..<126])
            frames.append((0..<21).map { Array(right[3 * $0..<3 * $0 + 3]) })
        }
        let detected = frames.map { f in f.contains { $0[0] != 0 || $0[1] != 0 } }
        let valid = try HandPlot.checkedSequence(frames, mask: nil, aspect: 1).valid
        XCTAssertEqual(valid, detected)
        // The files do not record the frame size; 4:3 (a common webcam shape) only exercises imageAspect.
        let c = try roundTrip(try HandPlot.sequence(frames: frames, options: SequencePlotOptions(maxFrames: 30, imageAspect: 4.0 / 3)),
                              name: "seq-real")
        XCTAssertEqual(c.width, 1200)
        let traj = try HandPlot.trajectories(frames: frames)
        XCTAssertGreaterThan(colorCount(traj, fullRect(traj), HandSkeleton.color(.index), tolerance: 6), 50)
    }
}
