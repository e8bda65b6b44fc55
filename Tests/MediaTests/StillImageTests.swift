import Foundation
import Media
import TestSupport
import XCTest

final class StillImageTests: XCTestCase {
    /// Every one of the 435 real letter photos decodes to the exact RGB buffer OpenCV's `imread`
    /// produced (sha256 recorded in the oracle): 0 tolerance.
    func testJPEGDecodeMatchesOpenCVOnAllLetterPhotos() throws {
        let oracle = try Oracle.json("oracle/letters_224_max1.json")
        guard let root = TestEnvironment.sharedPath("realdata/asl_alphabet_photos_224") else {
            throw XCTSkip(TestEnvironment.sharedMissingMessage)
        }
        let images = try XCTUnwrap(oracle["images"] as? [[String: Any]])
        XCTAssertEqual(images.count, 435)
        var mismatches: [String] = []
        for record in images {
            let path = try XCTUnwrap(record["path"] as? String)
            let image = try JPEG.read(root.appendingPathComponent(path))
            XCTAssertEqual(image.width, record["width"] as? Int)
            XCTAssertEqual(image.height, record["height"] as? Int)
            if SHA256.hex(image.pixels) != record["rgb_sha256"] as? String { mismatches.append(path) }
        }
        XCTAssertEqual(mismatches, [], "photos whose pixels differ from OpenCV's")
    }

    func testTruncatedJPEGIsAnErrorNamingTheFile() throws {
        guard let photo = TestEnvironment.sharedPath("realdata/asl_alphabet_photos_224/test/A/A0.jpg") else {
            throw XCTSkip(TestEnvironment.sharedMissingMessage)
        }
        let data = try Data(contentsOf: photo)
        let dir = try TestEnvironment.temporaryDirectory()
        let cut = dir.appendingPathComponent("cut.jpg")
        try data.prefix(data.count / 2).write(to: cut)
        XCTAssertThrowsError(try JPEG.read(cut)) { error in
            let media = error as? MediaError
            XCTAssertEqual(media?.kind, .malformed)
            XCTAssertEqual(media?.file, cut.path)
            XCTAssertEqual(media?.operation, "tjDecompress2")
        }
        XCTAssertThrowsError(try JPEG.read(dir.appendingPathComponent("absent.jpg"))) { error in
            XCTAssertEqual((error as? MediaError)?.kind, .fileNotFound)
        }
        try Data("not a jpeg".utf8).write(to: cut)
        XCTAssertThrowsError(try JPEG.read(cut)) { error in
            XCTAssertEqual((error as? MediaError)?.operation, "tjDecompressHeader3")
        }
    }

    /// A written PNG decodes, with the `ffmpeg` CLI as the outside reader, to the same pixels.
    func testPNGWriteIsReadBackByFFmpegAndByUs() throws {
        var random = SystemRandomNumberGenerator()
        let seed = UInt64.random(in: 0...UInt64.max, using: &random)
        var state = seed
        func nextByte() -> UInt8 { state = state &* 6364136223846793005 &+ 1442695040888963407; return UInt8(state >> 56) }
        let rgb = RGBImage(width: 37, height: 21, pixels: (0..<37 * 21 * 3).map { _ in nextByte() })
        let rgba = RGBImage(width: 5, height: 4, channels: 4, pixels: (0..<5 * 4 * 4).map { _ in nextByte() })
        let dir = try TestEnvironment.temporaryDirectory()
        let url = dir.appendingPathComponent("x.png")
        try PNG.write(rgb, to: url)
        XCTAssertEqual(try PNG.read(url), rgb, "seed \(seed)")
        let out = dir.appendingPathComponent("x.rgb")
        try ExternalTool.run(["ffmpeg", "-v", "error", "-y", "-i", url.path, "-f", "rawvideo", "-pix_fmt", "rgb24", out.path])
        XCTAssertEqual([UInt8](try Data(contentsOf: out)), rgb.pixels, "seed \(seed)")

        let urlA = dir.appendingPathComponent("a.png")
        try PNG.write(rgba, to: urlA)
        XCTAssertEqual(try PNG.read(urlA, channels: 4), rgba, "seed \(seed)")
        let hidden = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tmp") }
        XCTAssertEqual(hidden, [], "atomic write left temporaries")
    }

    func testCorruptPNGIsAnError() throws {
        let dir = try TestEnvironment.temporaryDirectory()
        let url = dir.appendingPathComponent("bad.png")
        var bytes = [UInt8](try PNG.encode(RGBImage(width: 8, height: 8)))
        bytes = Array(bytes.prefix(bytes.count - 20))
        try Data(bytes).write(to: url)
        XCTAssertThrowsError(try PNG.read(url)) { error in
            let media = error as? MediaError
            XCTAssertEqual(media?.kind, .malformed)
            XCTAssertFalse(media?.message.isEmpty ?? true)
        }
    }

    func testJPEGEncodeRoundTripsWithinQualityLoss() throws {
        // A smooth gradient survives quality-95 JPEG within a few levels per channel.
        let w = 64, h = 48
        var pixels = [UInt8](); pixels.reserveCapacity(w * h * 3)
        for y in 0..<h { for x in 0..<w { pixels += [UInt8(x * 4), UInt8(y * 5), UInt8((x + y) * 2)] } }
        let image = RGBImage(width: w, height: h, pixels: pixels)
        let back = try JPEG.decode(try JPEG.encode(image, quality: 95))
        XCTAssertEqual(back.width, w)
        let maxDiff = zip(back.pixels, pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
        XCTAssertLessThanOrEqual(maxDiff, 8)
    }

    func testSHA256MatchesKnownAnswersAndSha256sum() throws {
        // FIPS 180-2 appendix B test vectors, then the coreutils tool on multi-block data.
        XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex([UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let dir = try TestEnvironment.temporaryDirectory()
        let file = dir.appendingPathComponent("b.bin")
        try Data(bytes).write(to: file)
        let reference = try ExternalTool.run(["sha256sum", file.path]).split(separator: " ")[0]
        XCTAssertEqual(SHA256.hex(bytes), String(reference))
    }
}
