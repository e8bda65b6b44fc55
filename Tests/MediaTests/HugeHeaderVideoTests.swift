import Foundation
import Media
import TestSupport
import XCTest

/// Videos whose headers claim 10⁹ frames (a damaged or hostile file): the reader reports the
/// claim as the header's and decodes the frames that are really there, one at a time, without
/// allocating anything for the frames it was promised.
final class HugeHeaderVideoTests: XCTestCase {
    /// A 10-frame 64×48 test pattern from the ffmpeg CLI, with its frame counts patched.
    func patchedVideo(_ suffix: String, codec: [String], patch: (inout [UInt8]) throws -> Void) throws -> URL {
        let folder = try TestEnvironment.temporaryDirectory("aslsh-huge-header")
        let original = folder.appendingPathComponent("original.\(suffix)")
        try ExternalTool.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10",
                              "-frames:v", "10"] + codec + [original.path])
        var bytes = [UInt8](try Data(contentsOf: original))
        try patch(&bytes)
        let patched = folder.appendingPathComponent("claims-a-billion-frames.\(suffix)")
        try Data(bytes).write(to: patched)
        return patched
    }

    func offset(of tag: String, in bytes: [UInt8]) throws -> Int {
        let needle = Array(tag.utf8)
        return try XCTUnwrap((0...(bytes.count - needle.count)).first { Array(bytes[$0..<$0 + needle.count]) == needle },
                             "no \(tag) in the file")
    }

    func put(_ value: UInt32, at index: Int, bigEndian: Bool, in bytes: inout [UInt8]) {
        for k in 0..<4 {
            let shift = bigEndian ? 8 * (3 - k) : 8 * k
            bytes[index + k] = UInt8(truncatingIfNeeded: value >> UInt32(shift))
        }
    }

    func residentBytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }

    func checkReadsOnlyTheRealFrames(_ url: URL) throws {
        let before = residentBytes(), started = Date()
        let reader = try VideoReader(url: url)
        var frames = reader.frames(), count = 0
        while let frame = try frames.next() {
            XCTAssertEqual(frame.image.width, 64)
            count += 1
        }
        XCTAssertEqual(count, 10, "the frames really in the file")
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        XCTAssertLessThan(residentBytes() - before, 64 << 20, "nothing allocated for the promised frames")
    }

    /// AVI: the main header's total frames and the stream header's length say 10⁹.
    func testAnAVIClaimingABillionFramesReadsItsTen() throws {
        let url = try patchedVideo("avi", codec: ["-c:v", "mjpeg", "-q:v", "5"]) { bytes in
            put(1_000_000_000, at: try offset(of: "avih", in: bytes) + 8 + 16, bigEndian: false, in: &bytes)   // dwTotalFrames
            put(1_000_000_000, at: try offset(of: "strh", in: bytes) + 8 + 32, bigEndian: false, in: &bytes)   // dwLength
        }
        let reader = try VideoReader(url: url)
        XCTAssertEqual(reader.info.frameCount, 1_000_000_000, "the claim is reported as the header's")
        try checkReadsOnlyTheRealFrames(url)
    }

    /// MP4: the time-to-sample table says its one run of samples is 10⁹ long.
    func testAnMP4WhoseSampleTableClaimsABillionFramesReadsItsTen() throws {
        let url = try patchedVideo("mp4", codec: ["-c:v", "mpeg4", "-q:v", "5"]) { bytes in
            put(1_000_000_000, at: try offset(of: "stts", in: bytes) + 12, bigEndian: true, in: &bytes)   // first entry's sample_count
        }
        try checkReadsOnlyTheRealFrames(url)
    }
}
