import XCTest
import TensorCore
@testable import Hands

/// The fast ROI crop against its reference (`cropReference`, every tap through the border rule):
/// they must agree bit for bit, since MediaPipe parity rests on the OpenCV fixed-point emulation.
final class ImageToTensorTests: XCTestCase {
    func testFastCropIsBitIdenticalToReference() {
        var rng = SeededRandom(seed: 21)
        let width = 53, height = 37
        let pixels = (0..<(width * height * 3)).map { _ in UInt8(Int(rng.uniform() * 256) & 255) }
        var interior = 0, total = 0
        for trial in 0..<62 {
            // Centres inside and outside the image, rotations in [−π, π], ROIs from tiny to 2× the image;
            // the last two land every sample exactly halfway on the 1/32-pixel grid (x·32 = n + 0.5,
            // y·32 = n + 1.5), where rounding half to even decides the tap.
            let tie = Double(trial - 59)   // 1, 2 for the last two
            let roi = trial >= 60
                ? PixelRect(xCenter: 0.5 * 24 + 3 * tie + 1.0 / 64, yCenter: 0.5 * 24 + 2 + 3.0 / 64, width: 24, height: 24, rotation: 0)
                : PixelRect(xCenter: Double(rng.uniform()) * 1.4 * Double(width) - 0.2 * Double(width),
                                yCenter: Double(rng.uniform()) * 1.4 * Double(height) - 0.2 * Double(height),
                                width: 2 + Double(rng.uniform()) * 2 * Double(width),
                                height: 2 + Double(rng.uniform()) * 2 * Double(height),
                                rotation: trial % 3 == 0 ? 0 : (Double(rng.uniform()) * 2 - 1) * .pi)
            let size = trial >= 60 ? 24 : [8, 24, 33][trial % 3]
            for border in [ImageToTensor.Border.zero, .replicate] {
                var fast = [Float](repeating: .nan, count: size * size * 3)
                var reference = [Float](repeating: .nan, count: size * size * 3)
                pixels.withUnsafeBufferPointer { p in
                    fast.withUnsafeMutableBufferPointer {
                        ImageToTensor.crop(pixels: p, width: width, height: height, roi: roi, size: size, border: border, into: $0)
                    }
                    reference.withUnsafeMutableBufferPointer {
                        ImageToTensor.cropReference(pixels: p, width: width, height: height, roi: roi, size: size, border: border, into: $0)
                    }
                }
                XCTAssertEqual(fast, reference, "trial \(trial) \(border) \(roi)")
                total += fast.count
                interior += zip(fast, reference).filter { $0 == $1 && $0 > 0 }.count
            }
        }
        // Not a trivially equal pair of blank tensors: most compared values are real samples.
        XCTAssertGreaterThan(interior, total / 4)
    }
}
