import XCTest
import TensorCore
import TestSupport
@testable import Datasets

/// Zero split fractions (test-only, train-only, val+test builds) and manifests written away from
/// their landmark folder.
final class SplitFractionTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try TestEnvironment.temporaryDirectory("aslsh-splits") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func build(_ manifest: URL, _ splits: [Double], groupBy: BuildOptions.GroupBy? = nil) throws -> BuildSummary {
        var o = BuildOptions(manifest: manifest)
        o.datasetDirectory = dir.appendingPathComponent("ds")
        o.splits = splits
        o.groupBy = groupBy
        return try DatasetBuilder.build(o)
    }

    func testZeroFractionsLeaveThoseSplitsEmptyButWritten() throws {
        let manifest = try Fixtures.manifest(Fixtures.balanced(["a", "b"], count: 6), in: dir)
        XCTAssertEqual(try build(manifest, [0, 0, 1]).sampleCounts, [0, 0, 12])
        XCTAssertEqual(try build(manifest, [1, 0, 0]).sampleCounts, [12, 0, 0])
        let valTest = try build(manifest, [0, 0.5, 0.5])
        XCTAssertEqual(valTest.counts[1], [3, 3])
        XCTAssertEqual(valTest.counts[2], [3, 3])
        // Per class of 6: test ⌊6·0.75⌉ = 5 (halves round up), val takes the remaining 1.
        XCTAssertEqual(try build(manifest, [0, 0.25, 0.75]).sampleCounts, [0, 2, 10])
        XCTAssertEqual(try build(manifest, [0.5, 0, 0.5]).sampleCounts, [6, 0, 6])
        // Every file is written; an empty split holds 0 samples of the same shape.
        let summary = try build(manifest, [0, 0, 1])
        XCTAssertEqual(summary.outputs.count, 3)
        let train = try Dataset(contentsOf: summary.outputs[0])
        XCTAssertEqual(train.count, 0)
        XCTAssertEqual(train.labelNames, ["a", "b"])
        XCTAssertEqual(try Dataset(contentsOf: summary.outputs[2]).count, 12)
    }

    func testDefaultSplitsAreUnchangedBySeed() throws {
        // The remainder logic for zero-train builds must not move samples of ordinary builds.
        let manifest = try Fixtures.manifest(Fixtures.balanced(["a", "b", "c"], count: 10), in: dir)
        let summary = try build(manifest, [0.7, 0.15, 0.15])
        // Per class of 10: val ⌊1.5⌉ = 2, test 2, train the remaining 6 (as before).
        XCTAssertEqual(summary.sampleCounts, [18, 6, 6])
        XCTAssertEqual(summary.counts[0], [6, 6, 6])
    }

    func testGroupedZeroTrain() throws {
        let specs = (0..<12).map { ClipSpec(label: $0 % 2 == 0 ? "a" : "b", signer: "s\($0 % 3)") }
        let manifest = try Fixtures.manifest(specs, in: dir)
        XCTAssertEqual(try build(manifest, [0, 0, 1], groupBy: .signer).sampleCounts, [0, 0, 12])
    }

    func testOnlyAllZeroIsRefused() throws {
        let manifest = try Fixtures.manifest(Fixtures.balanced(["a"], count: 3), in: dir)
        XCTAssertThrowsError(try build(manifest, [0, 0, 0])) { error in
            XCTAssertTrue("\(error)".contains("--splits 0 0 0 leaves every split empty"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("ds").path))
    }

    /// The manifest written anywhere (absolute) or in a subfolder records landmark paths relative
    /// to its own folder, so the reader finds them.
    func testManifestAwayFromItsLandmarksResolves() throws {
        let out = dir.appendingPathComponent("data")
        for name in [dir.appendingPathComponent("elsewhere/deep/m.json").path, "sub/m.json", "m.json"] {
            var writer = ImportWriter(outputDirectory: out, manifestName: name, format: "test")
            try writer.add(Fixtures.clip(0, frames: 2, detected: 2), clipID: "c0", label: "a", sourceFile: "x", hasZ: true)
            let (_, summary) = try writer.finish()
            let expected = name.hasPrefix("/") ? URL(fileURLWithPath: name) : out.appendingPathComponent(name)
            XCTAssertEqual(summary.manifestURL.standardizedFileURL.path, expected.standardizedFileURL.path)
            let manifest = try LandmarkManifest.read(contentsOf: summary.manifestURL)
            let landmarks = manifest.records[0].landmarks
            XCTAssertEqual(landmarks, ["../../data/landmarks/c0.npy", "../landmarks/c0.npy", "landmarks/c0.npy"][
                name.hasPrefix("/") ? 0 : name.hasPrefix("sub") ? 1 : 2], name)
            XCTAssertEqual(manifest.resolve(landmarks).standardizedFileURL.path, out.appendingPathComponent("landmarks/c0.npy").path)
            XCTAssertNoThrow(try manifest.loadClip(at: 0), name)
        }
    }

    func testRelativePath() {
        func rel(_ a: String, _ b: String) -> String { relativePath(from: URL(fileURLWithPath: a), to: URL(fileURLWithPath: b)) }
        XCTAssertEqual(rel("/d/x", "/d/x"), "")
        XCTAssertEqual(rel("/d/x", "/d/x/y"), "y/")
        XCTAssertEqual(rel("/d/elsewhere", "/d/alpha"), "../alpha/")
        XCTAssertEqual(rel("/a/b/c", "/x"), "../../../x/")
        XCTAssertEqual(rel("/d/x/../y", "/d/y/z"), "z/")
    }
}
