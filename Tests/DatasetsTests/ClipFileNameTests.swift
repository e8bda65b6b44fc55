import Foundation
import TensorCore
import TestSupport
import XCTest
@testable import Datasets

/// Clip ids name landmark files: an id that is not a plain file name (a URL, `../../x`, an
/// absolute path, from a hand-edited or old manifest) is written inside `landmarks/` under a
/// file-safe name, and two such ids never share a file.
final class ClipFileNameTests: XCTestCase {
    func testClipIDsNeverNameAFileOutsideTheLandmarksFolder() throws {
        let root = try TestEnvironment.temporaryDirectory("aslsh-clip-names")
        defer { try? FileManager.default.removeItem(at: root) }
        let output = root.appendingPathComponent("a/b/out")
        var writer = ImportWriter(outputDirectory: output, manifestName: "manifest.json", format: "test")
        let ids = ["J7tP98oDxqE__0.0_2.64", "N2mG9ZKjrGA__0.0_2.502#2", "http://127.0.0.1:23635/J7tP98oDxqE.mp4__0.0_2.64",
                   "../../escaped", "/tmp/absolute", "..", "a/b", "a_b"]
        for (n, id) in ids.enumerated() {
            try writer.add(Fixtures.clip(n, frames: 3, detected: 3), clipID: id, label: "x", sourceFile: "s.mp4", hasZ: true)
        }
        let manifest = try writer.finish().manifest
        XCTAssertEqual(manifest.records.map(\.clipID), ids, "the records keep the ids")
        let paths = manifest.records.map(\.landmarks)
        XCTAssertEqual(paths[0], "landmarks/J7tP98oDxqE__0.0_2.64.npy", "plain ids are the file name")
        XCTAssertEqual(paths[1], "landmarks/N2mG9ZKjrGA__0.0_2.502#2.npy")
        XCTAssertEqual(paths[7], "landmarks/a_b.npy")
        XCTAssertTrue(paths[2].hasPrefix("landmarks/http___127.0.0.1_23635_J7tP98oDxqE.mp4__0.0_2.64-"), paths[2])
        XCTAssertEqual(Set(paths).count, ids.count, "no two ids share a file")
        for path in paths + manifest.records.map(\.mask) {
            let name = String(path.dropFirst("landmarks/".count))
            XCTAssertTrue(path.hasPrefix("landmarks/") && !name.contains("/") && !name.hasPrefix("."), path)
            XCTAssertTrue(FileManager.default.fileExists(atPath: manifest.resolve(path).path), path)
        }
        // Nothing beside or above the output folder, nor at the absolute id.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("a/b").path), ["out"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("a").path), ["b"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/absolute.npy"))
        // The clips read back through the manifest, each the one written under its id.
        for (n, _) in ids.enumerated() {
            XCTAssertEqual(try manifest.loadClip(at: n).values, Fixtures.clip(n, frames: 3, detected: 3).values)
        }
    }
}
