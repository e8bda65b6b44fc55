import XCTest
import TensorCore
@testable import Hands
#if canImport(Glibc)
import Glibc
#endif

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

    override func tearDown() { KernelPath.force(KernelPath.supported) }

    /// Eight pixels at a time (AVX2 gathers) or one by one (portable): the same bits as the
    /// reference on every kernel path, on an image as large as a video frame.
    func testEveryKernelPathGivesTheReferenceBits() {
        var rng = SeededRandom(seed: 5)
        let width = 480, height = 360
        let pixels = (0..<(width * height * 3)).map { _ in UInt8(Int(rng.uniform() * 256) & 255) }
        let rois = [PixelRect(xCenter: 250, yCenter: 170, width: 180, height: 200, rotation: 0.4),
                    PixelRect(xCenter: 470, yCenter: 20, width: 120, height: 120, rotation: -2.5),   // over two edges
                    PixelRect(xCenter: 240, yCenter: 180, width: 700, height: 700, rotation: 0)]   // the whole frame and more
        for path in KernelPath.allCases where KernelPath.force(path) {
            for roi in rois {
                for (size, border) in [(256, ImageToTensor.Border.replicate), (192, .zero), (13, .zero)] {
                    var fast = [Float](repeating: .nan, count: size * size * 3)
                    var reference = fast
                    pixels.withUnsafeBufferPointer { p in
                        fast.withUnsafeMutableBufferPointer {
                            ImageToTensor.crop(pixels: p, width: width, height: height, roi: roi, size: size, border: border, into: $0)
                        }
                        reference.withUnsafeMutableBufferPointer {
                            ImageToTensor.cropReference(pixels: p, width: width, height: height, roi: roi, size: size, border: border, into: $0)
                        }
                    }
                    XCTAssertEqual(fast.map(\.bitPattern), reference.map(\.bitPattern), "\(path) \(roi) size \(size) \(border)")
                }
            }
        }
    }

    /// A row of eight inside pixels whose last one takes its taps from the image's last two rows
    /// and columns: the vector path reads 4 bytes per tap, and must not read past the image's last
    /// byte. The image ends where an unreadable page begins, so a read past it would crash.
    func testCropReadsNothingPastTheImage() throws {
        let width = 20, height = 10, bytes = width * height * 3
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let span = (bytes + page - 1) / page * page + page
        guard let region = mmap(nil, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), region != MAP_FAILED else {
            throw XCTSkip("mmap failed")
        }
        defer { munmap(region, span) }
        XCTAssertEqual(mprotect(region + (span - page), page, PROT_NONE), 0)
        let start = (region + (span - page - bytes)).assumingMemoryBound(to: UInt8.self)
        for i in 0..<bytes { start[i] = UInt8(truncatingIfNeeded: i &* 37 &+ 11) }
        // 8×8 crop at scale 1: pixel (u, v) samples (x0 + u, y0 + v), so the last pixel of row 7
        // lands at (W − 2 + ¼, H − 2 + ½), its taps the image's bottom-right 2×2 pixels.
        let roi = PixelRect(xCenter: Double(width - 2) + 0.25 - 7 + 4, yCenter: Double(height - 2) + 0.5 - 7 + 4,
                            width: 8, height: 8, rotation: 0)
        let pixels = UnsafeBufferPointer(start: UnsafePointer(start), count: bytes)
        for path in KernelPath.allCases where KernelPath.force(path) {
            var fast = [Float](repeating: .nan, count: 8 * 8 * 3), reference = fast
            fast.withUnsafeMutableBufferPointer { ImageToTensor.crop(pixels: pixels, width: width, height: height, roi: roi, size: 8, border: .zero, into: $0) }
            reference.withUnsafeMutableBufferPointer { ImageToTensor.cropReference(pixels: pixels, width: width, height: height, roi: roi, size: 8, border: .zero, into: $0) }
            XCTAssertEqual(fast, reference, "\(path)")
            // The corner pixel's value mixes the four corner taps: a real sample, not a border zero.
            XCTAssertGreaterThan(fast[(7 * 8 + 7) * 3], 0)
        }
    }
}
