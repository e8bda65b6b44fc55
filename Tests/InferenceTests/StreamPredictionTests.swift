import Foundation
import TensorCore
import TestSupport
import XCTest
@testable import Inference
@testable import Shell

/// `predict http://…`: a network stream goes through FFmpeg's own protocol layer (no download
/// first) and gives exactly the windows of the same video read as a file. The stream is served
/// by Python's http.server on loopback, standing in for a camera or broadcast source.
final class StreamPredictionTests: XCTestCase {
    func testHTTPStreamGivesTheSameWindowsAsTheFile() throws {
        guard let videos = TestEnvironment.sharedPath("realdata/msasl_videos") else { throw XCTSkip(TestEnvironment.sharedMissingMessage) }
        guard TestEnvironment.mediapipeModel("palm_detection_lite") != nil else { throw XCTSkip("MediaPipe models missing (run make setup)") }
        let fx = try Fixtures.letters.get()
        let (server, port) = try ExternalTool.serveFolderOverHTTP(videos)
        defer { server.terminate(); server.waitUntilExit() }
        let url = "http://127.0.0.1:\(port)/7G6B6kaMjb4.mp4"

        func rows(_ source: String) throws -> [[String]] {
            let session = Session(registry: .standard, outputSink: { _ in }, errorSink: { _ in })
            let flags = "--model \"\(fx.checkpoint.path)\" --window 8 --stride 4 --model-complexity lite --models \"\(TestEnvironment.repositoryRoot.path)/models/mediapipe\""
            let outcome = session.execute(CellSource(text: "predict \"\(source)\" \(flags)"))
            if let error = outcome.error { XCTFail("\(source): \(error)") }
            let table = try XCTUnwrap(outcome.value?.tableValue)
            let columns = ["window", "start", "end", "label", "error"].map { table.column(named: $0) ?? [] }
            return table.rows.indices.map { r in columns.map { $0.indices.contains(r) ? "\($0[r])" : "-" } }
        }
        let fromFile = try rows(videos.appendingPathComponent("7G6B6kaMjb4.mp4").path)
        let fromStream = try rows(url)
        XCTAssertGreaterThan(fromFile.count, 5)
        XCTAssertEqual(fromStream, fromFile)
        XCTAssertTrue(fromStream.contains { $0[3] != "null" && !$0[3].isEmpty }, "hands are found in the streamed video: \(fromStream)")

        let session = Session(registry: .standard, outputSink: { _ in }, errorSink: { _ in })
        let missing = session.execute(CellSource(text: "predict \"http://127.0.0.1:\(port)/nope.mp4\" --model \"\(fx.checkpoint.path)\""))
        // A stream that cannot be opened is that item's error row (the batch rule), naming the URL.
        let text = missing.error.map { "\($0)" } ?? missing.value?.tableValue?.column(named: "error")?.map { "\($0)" }.joined() ?? ""
        XCTAssertTrue(text.contains("nope.mp4"), "a failed stream names the URL: \(text)")
    }
}
