import Foundation
import TestSupport
import XCTest

/// A trimmed clip is the same bytes whatever number of cores the process may use: libx264's
/// bitstream depends on its thread count, which the encoder fixes instead of deriving from the
/// CPUs (a Slurm node, a container or `taskset` with another count must give the same clips, so
/// sharded and unsharded runs, and sessions replayed elsewhere, agree).
final class TrimReproducibilityTests: XCTestCase {
    func testTrimGivesTheSameBytesOnOneCoreAsOnAll() throws {
        guard let videos = TestEnvironment.sharedPath("realdata/msasl_videos") else {
            throw XCTSkip(TestEnvironment.sharedMissingMessage)
        }
        guard let binary = AslshBinary.url else { return XCTFail(AslshBinary.missingMessage) }
        let taskset = URL(fileURLWithPath: "/usr/bin/taskset")
        guard FileManager.default.isExecutableFile(atPath: taskset.path) else {
            return XCTFail("taskset (util-linux) is needed to run on one core")
        }
        let directory = try TestEnvironment.temporaryDirectory("trim-cores")
        defer { try? FileManager.default.removeItem(at: directory) }
        let records = [("J7tP98oDxqE", 0.0, 2.64), ("HPz_C5XM4o4", 2.462, 4.148)].map { video, start, end in
            ["clip_id": "\(video)__\(start)_\(end)", "video_id": video, "url": "https://www.youtube.com/watch?v=\(video)",
             "label": "sign", "label_index": 0, "start_time": start, "end_time": end, "source": "msasl", "split": "train",
             "metadata": [String: String]()] as [String: Any]
        }
        try JSONSerialization.data(withJSONObject: records).write(to: directory.appendingPathComponent("manifest.json"))
        func trim(_ folder: String, oneCore: Bool) throws -> [String: Data] {
            let arguments = ["trim", "manifest.json", "--videos", videos.path, "--clips", "\(folder)/clips",
                             "--out", "\(folder)/manifest.json", "-q"]
            let outcome = oneCore ? try ExternalTool.launch(taskset, ["-c", "0", binary.path] + arguments, directory: directory)
                                  : try ExternalTool.launch(binary, arguments, directory: directory)
            XCTAssertEqual(outcome.status, 0, outcome.stderr)
            let clips = directory.appendingPathComponent("\(folder)/clips")
            var files: [String: Data] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: clips.path) {
                files[name] = try Data(contentsOf: clips.appendingPathComponent(name))
            }
            return files
        }
        let all = try trim("all", oneCore: false), one = try trim("one", oneCore: true)
        XCTAssertEqual(all.count, 2)
        XCTAssertEqual(Set(all.keys), Set(one.keys))
        for (name, bytes) in all { XCTAssertTrue(bytes == one[name], "\(name): other bytes on one core") }
    }
}
