import XCTest
import TensorCore
import TestSupport
@testable import Datasets

/// The importers on the breakage corpus (Tests/Fixtures/breakage): landmark arrays holding NaN
/// or Inf, label files with a UTF-8 BOM, CRLF line ends, duplicates and blank lines.
final class BreakageImportTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try TestEnvironment.temporaryDirectory("aslsh-breakage") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }
    let corpus = TestEnvironment.breakage

    /// A label CSV with a BOM, CRLF and a row repeating an earlier row's file: the repeat is
    /// skipped (counted, with a warning naming both lines). Frames holding NaN or Inf are "no
    /// hand": zeroed and masked, counted in the summary; the rest of each clip is kept, and
    /// `build` then takes the imported clips (with its own NaN check passing).
    func testNaNAndInfFramesAreMaskedAndRepeatedRowsSkipped() throws {
        let summary = try ClipArrayImporter.run(root: corpus("landmarks"), to: dir.appendingPathComponent("out"),
                                                options: .init(labelCSV: corpus("labels/clips_bom_crlf_duplicate.csv")))
        XCTAssertEqual(summary.clipsPerLabel.map(\.label), ["hello", "world"])
        XCTAssertEqual(summary.clipsPerLabel.map(\.count), [2, 1])
        XCTAssertEqual(summary.skipped, ["label CSV rows repeating an earlier row's file": 1])
        XCTAssertEqual(summary.warnings, ["clips_bom_crlf_duplicate.csv:5 repeats line 2 (../landmarks/good.npy): skipped"])
        XCTAssertEqual(summary.nonFiniteFrames, 2)
        XCTAssertTrue(summary.text.contains("masked 2 frames holding NaN/Inf (treated as no hand)"), summary.text)
        let manifest = try LandmarkManifest.read(contentsOf: summary.manifestURL)
        let masks = Dictionary(uniqueKeysWithValues: try manifest.records.indices.map { i in
            (manifest.records[i].clipID, try manifest.loadClip(at: i).mask)
        })
        XCTAssertEqual(masks["hello_good"], [true, true, true, true, true])
        XCTAssertEqual(masks["hello_nan_frame2"], [true, true, false, true, true])
        XCTAssertEqual(masks["world_inf_frame4"], [true, true, true, true, false])
        let nanClip = try manifest.loadClip(at: try XCTUnwrap(manifest.records.firstIndex { $0.clipID == "hello_nan_frame2" }))
        XCTAssertTrue(nanClip.values.allSatisfy(\.isFinite))
        XCTAssertEqual(Array(nanClip.values[(2 * 63)..<(3 * 63)]), Array(repeating: 0, count: 63))
        // The frames that were fine are the good clip's (same hand): equal after normalisation.
        let good = try manifest.loadClip(at: try XCTUnwrap(manifest.records.firstIndex { $0.clipID == "hello_good" }))
        XCTAssertEqual(Array(nanClip.values[0..<(2 * 63)]), Array(good.values[0..<(2 * 63)]))

        var options = BuildOptions(manifest: summary.manifestURL)
        options.datasetDirectory = dir.appendingPathComponent("ds")
        options.splits = [1, 0, 0]
        let built = try DatasetBuilder.build(options)
        XCTAssertEqual(built.sampleCounts.reduce(0, +), 3, "\(built)")
    }

    /// The same file under two labels is an error naming the line and the earlier one.
    func testAFileLabelledTwoWaysIsAnError() {
        let csv = corpus("labels/clips_conflicting_duplicate.csv")
        assertDatasetError(["\(csv.path):3", "../landmarks/good.npy is labelled 'world' here and 'hello' on line 2"]) {
            try ClipArrayImporter.run(root: corpus("landmarks"), to: dir.appendingPathComponent("out"), options: .init(labelCSV: csv))
        }
    }

    /// Per-frame sequence files: a hand holding NaN/-Inf in a frame is absent there (counted).
    func testFrameSequenceHandsHoldingNaNAreAbsentInThatFrame() throws {
        let summary = try FrameSequenceImporter.run(root: corpus("landmarks/sequences"), to: dir.appendingPathComponent("seq"))
        XCTAssertEqual(summary.clipCount, 1)
        XCTAssertEqual(summary.nonFiniteFrames, 2)
        let manifest = try LandmarkManifest.read(contentsOf: summary.manifestURL)
        let record = manifest.records[0]
        // Left hand present in frames 0, 2, 3; right in 0, 1, 3: a tie goes to the right hand.
        XCTAssertEqual(record.metadata["left_frames"], .int(3))
        XCTAssertEqual(record.metadata["right_frames"], .int(3))
        XCTAssertEqual(record.metadata["hand"], .string("right"))
        XCTAssertEqual(try manifest.loadClip(at: 0).mask, [true, true, false, true])
    }

    /// Class-name files for keypoint CSVs (line n names class n − 1): the published file's BOM
    /// and CRLF are read through; a name given twice or a blank line inside is an error naming the line.
    func testKeypointLabelFilesWithBOMCRLFDuplicatesAndBlankLines() throws {
        XCTAssertEqual(try KeypointCSVImporter.readLabelNames(corpus("labels/keypoint_labels_bom_crlf.csv")),
                       ["Open", "Close", "Pointer"])
        let duplicate = corpus("labels/keypoint_labels_duplicate.csv")
        assertDatasetError(["\(duplicate.path):3", "class name 'Open' is already on line 1"]) {
            _ = try KeypointCSVImporter.readLabelNames(duplicate)
        }
        let blank = corpus("labels/keypoint_labels_blank_line.csv")
        assertDatasetError(["\(blank.path):2", "blank line inside the class list"]) {
            _ = try KeypointCSVImporter.readLabelNames(blank)
        }
    }
}
