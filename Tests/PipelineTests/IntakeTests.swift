import TensorCore
import Foundation
@testable import Pipeline
import TestSupport
import XCTest

func realData(_ relative: String) throws -> URL {
    guard let url = TestEnvironment.sharedPath("realdata/\(relative)") else {
        throw XCTSkip(TestEnvironment.sharedMissingMessage)
    }
    return url
}

/// Independent counts from python3's json module (outside reference) for a file.
func pythonCount(_ expression: String, _ file: URL) throws -> Int {
    let out = try ExternalTool.python("import json,sys\nd=json.load(open(sys.argv[1]))\nprint(\(expression))", [file.path])
    return Int(out.trimmingCharacters(in: .whitespacesAndNewlines))!
}

final class IntakeTests: XCTestCase {
    func testMSASLValNormalisesEveryRecord() throws {
        let file = try realData("msasl_metadata/MSASL_val.json")
        let dir = try TestEnvironment.temporaryDirectory()
        let out = dir.appendingPathComponent("manifest.json")
        let result = try Intake.run(IntakeOptions(inputs: [file], output: out))
        XCTAssertEqual(result.format, .msasl)
        XCTAssertEqual(result.entriesRead + result.skipped.total, try pythonCount("len(d)", file))
        XCTAssertEqual(result.skipped.total, 0, result.description)
        XCTAssertEqual(result.records.count, 5287)
        XCTAssertTrue(result.records.allSatisfy { $0.url!.hasPrefix("https://") || $0.url!.hasPrefix("http://") })
        // 572 val URLs lack the scheme (PROVENANCE.md); each got https:// and still parses to a video id.
        XCTAssertEqual(result.records.filter { $0.metadata.isEmpty }.count, 0)
        XCTAssertEqual(Set(result.records.map(\.clipID)).count, result.records.count, "clip ids are unique")
        XCTAssertTrue(result.records.allSatisfy { $0.videoID.count == 11 }, "YouTube ids")
        XCTAssertTrue(result.records.allSatisfy { $0.split == "val" && $0.source == "msasl" })

        let absent = try XCTUnwrap(result.records.first { $0.videoID == "ri3NrdgfAtE" && $0.endTime == 1.277 })
        XCTAssertEqual(absent.label, "absent")
        XCTAssertEqual(absent.labelIndex, 837)
        XCTAssertEqual(absent.url, "https://www.youtube.com/watch?v=ri3NrdgfAtE")
        XCTAssertEqual(absent.fps, 28.971)
        XCTAssertEqual(absent.signer, 114)
        // box [y0, x0, y1, x1] = [0.2189…, 0.00856…, 0.9978…, 1.0] → x0, y0, x1, y1.
        let box = try XCTUnwrap(absent.bbox)
        XCTAssertEqual(box[0], 0.00856819748878479, accuracy: 1e-12)
        XCTAssertEqual(box[1], 0.2189638912677765, accuracy: 1e-12)
        XCTAssertEqual(box[2], 1.0, accuracy: 1e-12)
        XCTAssertEqual(box[3], 0.9978311061859131, accuracy: 1e-12)
        XCTAssertEqual(absent.metadata["org_text"], .string("absent"))
        XCTAssertEqual(absent.metadata["file"], .string("ASL ABSENT"))
        XCTAssertNil(absent.metadata["url"], "consumed fields are not duplicated")

        let help = try XCTUnwrap(result.records.first { $0.videoID == "l31UXgChCS4" })
        XCTAssertEqual(help.url, "https://www.youtube.com/watch?v=l31UXgChCS4", "missing scheme added")

        // The written manifest reads back to the same records.
        XCTAssertEqual(try Manifest.read(out), result.records)
    }

    func testMaxClassesAndClipsPerClassAreSeededAndBalanced() throws {
        let file = try realData("msasl_metadata/MSASL_val.json")
        let options = IntakeOptions(inputs: [file], maxClasses: 5, clipsPerClass: 10, seed: 7)
        let a = try Intake.run(options)
        // Python's Counter on the same file: the 5 most frequent labels are 1, 5, 88, 62, 42.
        XCTAssertEqual(Set(a.records.map(\.labelIndex)), [1, 5, 88, 62, 42])
        XCTAssertEqual(a.records.count, 50)
        for label in [1, 5, 88, 62, 42] {
            XCTAssertEqual(a.records.filter { $0.labelIndex == label }.count, 10)
        }
        XCTAssertEqual(try Intake.run(options).records, a.records, "same seed, same subset")
        var other = options
        other.seed = 8
        XCTAssertNotEqual(try Intake.run(other).records.map(\.clipID), a.records.map(\.clipID), "seed matters")
        // A class's sample does not depend on how many other classes are kept.
        var wider = options
        wider.maxClasses = 20
        let w = try Intake.run(wider)
        XCTAssertEqual(w.records.filter { $0.labelIndex == 88 }, a.records.filter { $0.labelIndex == 88 })
        XCTAssertThrowsError(try Intake.run(IntakeOptions(inputs: [file], maxClasses: 0))) { error in
            XCTAssertEqual(error as? PipelineError, .invalidOption(flag: "--max-classes", message: "must be positive, got 0"))
        }
    }

    func testMSASLTestAndTrainExcerptCombine() throws {
        let test = try realData("msasl_metadata/MSASL_test.json")
        let train = try realData("msasl_metadata/MSASL_train_head_excerpt.json")
        let result = try Intake.run(IntakeOptions(inputs: [train, test], format: .msasl))
        XCTAssertEqual(result.records.count, 4172 + 41 - result.skipped.total)
        XCTAssertEqual(result.records.filter { $0.split == "train" }.count + result.records.filter { $0.split == "test" }.count,
                       result.records.count)
        // 1169 test URLs lack the scheme (PROVENANCE.md): none survive without one.
        XCTAssertFalse(result.records.contains { !($0.url ?? "").contains("://") })
    }

    func testWLASLGlossLayout() throws {
        let file = try realData("wlasl_metadata/WLASL_v0.3_excerpt_book.json")
        let result = try Intake.run(IntakeOptions(inputs: [file], format: .wlasl))
        XCTAssertEqual(result.records.count + result.skipped.total, 40)
        XCTAssertTrue(result.records.allSatisfy { $0.label == "book" && $0.labelIndex == 0 && $0.source == "wlasl" })
        let first = try XCTUnwrap(result.records.first { $0.videoID == "69241" })
        XCTAssertEqual(first.url, "http://aslbricks.org/New/ASL-Videos/book.mp4")
        XCTAssertEqual(first.startTime, 0)      // frame_start 1 (1-based)
        XCTAssertNil(first.endTime)             // frame_end -1 = to the end
        XCTAssertNil(first.bbox, "pixel box without a frame size is not normalised here")
        XCTAssertEqual(first.metadata["bbox"], .array([.int(385), .int(37), .int(885), .int(720)]))
        XCTAssertEqual(first.metadata["source"], .string("aslbrick"))
        XCTAssertEqual(first.split, "train")
        XCTAssertEqual(first.signer, 118)
    }

    func testWLASLNSLTLayoutWithClassList() throws {
        let file = try realData("wlasl_metadata/nslt_100.json")
        let result = try Intake.run(IntakeOptions(inputs: [file]))
        XCTAssertEqual(result.format, .wlasl)
        XCTAssertEqual(result.records.count, try pythonCount("len(d)", file))
        XCTAssertEqual(result.records.filter { $0.split == "val" }.count, 338)
        let r = try XCTUnwrap(result.records.first { $0.videoID == "05237" })
        XCTAssertEqual(r.labelIndex, 77)
        // wlasl_class_list.txt line 77 (0-based index) names the class.
        let list = try String(contentsOf: try realData("wlasl_metadata/wlasl_class_list.txt"), encoding: .utf8)
        let name = list.split(separator: "\n").first { $0.hasPrefix("77\t") }!.split(separator: "\t")[1]
        XCTAssertEqual(r.label, String(name))
        XCTAssertEqual(r.startTime, 0)
        // Frames 1…55 at 25 fps: pts 0 … 54/25, so the end-exclusive span ends at 55/25.
        XCTAssertEqual(try XCTUnwrap(r.endTime), 55.0 / 25.0, accuracy: 1e-12)
        XCTAssertNil(r.url)
    }

    func testMalformedJSONReportsLineAndColumn() throws {
        let dir = try TestEnvironment.temporaryDirectory()
        let file = dir.appendingPathComponent("MSASL_bad.json")
        try "[\n{\"url\": \"x\", \"label\": 1},\n{\"url\": \"y\",, \"label\": 2}\n]\n".write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Intake.run(IntakeOptions(inputs: [file]))) { error in
            guard case let .malformedJSON(path, line, column, _)? = error as? PipelineError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(path, file.path)
            XCTAssertEqual(line, 3)
            XCTAssertEqual(column, 13)
            XCTAssertTrue("\(error)".hasPrefix("\(file.path):3:13: not valid JSON ("))
        }
        try "[{\"url\": \"x\"".write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Intake.run(IntakeOptions(inputs: [file]))) { error in
            guard case let .malformedJSON(_, line, _, _)? = error as? PipelineError else { return XCTFail("\(error)") }
            XCTAssertEqual(line, 1)
        }
    }

    /// Invalid UTF-8 where a key should start made Foundation's JSON5 scanner trap (a fuzz
    /// finding, also replayed by FuzzReplayTests); now it is an error naming file, line and column.
    func testInvalidUTF8IsAnErrorWithItsPlaceNotACrash() throws {
        let dir = try TestEnvironment.temporaryDirectory()
        let file = dir.appendingPathComponent("MSASL_bad.json")
        try Data(Array("[{\"text\": \"a\",\n ".utf8) + [0xFB] + Array("\"b\": 1}]".utf8)).write(to: file)
        XCTAssertThrowsError(try Intake.run(IntakeOptions(inputs: [file]))) { error in
            guard case let .malformedJSON(path, line, column, _)? = error as? PipelineError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(path, file.path)
            XCTAssertEqual(line, 2)
            XCTAssertEqual(column, 2)
            XCTAssertTrue("\(error)".contains("not valid UTF-8 (byte 0xFB)"), "\(error)")
        }
        // Well-formed multi-byte text (é, €, 😀) is not mistaken for damage.
        XCTAssertNil(JSONFile.firstInvalidUTF8(Data("[\"é€😀\"]".utf8)))
        XCTAssertEqual(JSONFile.firstInvalidUTF8(Data([0x22, 0xED, 0xA0, 0x80, 0x22])), 1)   // a UTF-16 surrogate
        XCTAssertEqual(JSONFile.firstInvalidUTF8(Data([0x22, 0xC0, 0xAF, 0x22])), 1)         // an overlong '/'
        XCTAssertEqual(JSONFile.firstInvalidUTF8(Data([0x22, 0xE2, 0x82])), 1)               // cut short
    }

    func testIncompleteEntriesAreSkippedAndCountedByReason() throws {
        let dir = try TestEnvironment.temporaryDirectory()
        let file = dir.appendingPathComponent("MSASL_train.json")
        let entries = """
        [{"url": "youtu.be/abcdefghijk", "label": 3, "start_time": 1.0, "end_time": 2.5, "box": [0.1, 0.2, 0.9, 0.8], "text": "c"},
         {"label": 3, "start_time": 0, "end_time": 1},
         {"url": "www.youtube.com/watch?v=bbbbbbbbbbb", "label": "x", "start_time": 0, "end_time": 1},
         {"url": "www.youtube.com/watch?v=ccccccccccc", "label": 2, "start_time": 3, "end_time": 1},
         {"url": "www.youtube.com/watch?v=ddddddddddd", "label": 2},
         7]
        """
        try entries.write(to: file, atomically: true, encoding: .utf8)
        let result = try Intake.run(IntakeOptions(inputs: [file], verbose: true))
        XCTAssertEqual(result.records.count, 1)
        XCTAssertEqual(result.skipped.counts, ["missing url": 1, "missing or invalid label": 1,
                                               "end_time not after start_time": 1,
                                               "missing start_time/end_time": 1, "not an object": 1])
        let kept = result.records[0]
        XCTAssertEqual(kept.url, "https://youtu.be/abcdefghijk")
        XCTAssertEqual(kept.videoID, "abcdefghijk")
        XCTAssertEqual(kept.clipID, "abcdefghijk__1.0_2.5")
        XCTAssertEqual(kept.label, "c", "no class file beside it: the record's text")
        XCTAssertEqual(kept.split, "train")
        XCTAssertEqual(kept.bbox, [0.2, 0.1, 0.8, 0.9])
        XCTAssertTrue(result.description.contains("MSASL_train.json record 1: missing url"), result.description)
        XCTAssertThrowsError(try Intake.run(IntakeOptions(inputs: [file], format: .wlasl))) { error in
            guard case .unrecognisedLayout? = error as? PipelineError else { return XCTFail("\(error)") }
        }
    }
}
