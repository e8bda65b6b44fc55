import Foundation
import TestSupport
import XCTest
@testable import Shell

/// "Errors that say what to do": every command that writes a file, pointed at (a) a folder it may
/// not write in, (b) a path whose parent is a regular file, (c) a folder that does not exist yet.
/// (a) and (b) must fail naming the command, the path and the reason in the shared words
/// ("cannot write: permission denied", "… is a file, not a folder") and leave nothing behind;
/// (c) must create the folders and succeed. Then the reading side: truncated `.npz`, missing vs
/// malformed manifests, a corrupt JPEG; and the exit status of a batch where every item failed.
final class UnwritableOutputTests: XCTestCase {
    /// Inputs every writer needs, made once with the shell itself (synthetic letters → datasets →
    /// a one-epoch MLP) plus a tiny test-pattern video and photo from the `ffmpeg` CLI.
    struct Fixture {
        var root: URL
        var synthManifest: String, landmarks: String, train: String, test: String, checkpoint: String
        var importRoot: String, metadata: String, clipManifest: String
        /// Nil when `ffmpeg` is missing: the video and photo cases are skipped.
        var videos: String?, downloadedManifest: String?, trimmedManifest: String?, photos: String?
    }

    nonisolated(unsafe) static var made: Result<Fixture, Error>?

    static func fixture() throws -> Fixture {
        if let made { return try made.get() }
        let result = Result { try makeFixture() }
        made = result
        return try result.get()
    }

    static func makeFixture() throws -> Fixture {
        let root = try TestEnvironment.temporaryDirectory("aslsh-unwritable-fixture")
        let shell = ShellHarness()
        func p(_ relative: String) -> String { root.appendingPathComponent(relative).path }
        _ = try shell.output("""
            synth --classes "A B" --per-class 6 --seed 3 --out "\(p("synth"))"
            build "\(p("synth/synth_manifest.json"))" --static --out "\(p("ds"))" --seed 1
            net = train "\(p("ds/train.npz"))" --epochs 1 --architecture mlp --hidden-dim 8 --out "\(p("ck"))"
            """)
        let checkpoint = try XCTUnwrap(try shell.value("net.checkpoint")?.textValue)
        let landmarks = p("synth/landmarks/synth_A_0000.npy")
        // `import clip-npy` reads <root>/<label>/<clip>.npy.
        try FileManager.default.createDirectory(atPath: p("import_in/A"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: landmarks, toPath: p("import_in/A/one.npy"))
        // A one-record MS-ASL file whose video is a local test pattern.
        let metadata = p("MSASL_train.json")
        try Data("""
            [{"org_text":"hello","clean_text":"hello","start_time":0.0,"signer_id":1,"signer":1,"start":0,"end":5,
              "file":"x","label":0,"height":64,"fps":10,"end_time":0.5,"url":"https://www.youtube.com/watch?v=abcdefghijk",
              "text":"hello","box":[0,0,1,1],"width":64}]
            """.utf8).write(to: URL(fileURLWithPath: metadata))
        _ = try shell.output("intake \"\(metadata)\" --out \"\(p("m/manifest.json"))\"")
        var fixture = Fixture(root: root, synthManifest: p("synth/synth_manifest.json"), landmarks: landmarks,
                              train: p("ds/train.npz"), test: p("ds/test.npz"),
                              checkpoint: Invocation.resolvePath(checkpoint).path, importRoot: p("import_in"),
                              metadata: metadata, clipManifest: p("m/manifest.json"))
        if (try? ExternalTool.run(["ffmpeg", "-version"])) != nil {
            try FileManager.default.createDirectory(atPath: p("videos"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: p("photos"), withIntermediateDirectories: true)
            _ = try ExternalTool.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=10",
                                      "-t", "0.6", "-pix_fmt", "yuv420p", p("videos/abcdefghijk.mp4")])
            _ = try ExternalTool.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x64",
                                      "-frames:v", "1", p("photos/A_1.jpg")])
            fixture.videos = p("videos")
            fixture.photos = p("photos")
            // A trimmed manifest for `extract` (trim does not need yt-dlp; its record finds the
            // video under --videos).
            _ = try shell.output("trim \"\(p("m/manifest.json"))\" --videos \"\(p("videos"))\" --clips \"\(p("clips"))\" "
                                 + "--out \"\(p("m/manifest_trimmed.json"))\" --quiet")
            fixture.trimmedManifest = p("m/manifest_trimmed.json")
        }
        return fixture
    }

    /// One writer: the cell that writes to `out`, and whether `out` is a file or a folder.
    struct Writer {
        var name: String
        var cell: (String) -> String
        var makesFolder = false
        /// Needs the MediaPipe models (the tracker runs in case (c)).
        var needsModels = false
        var needsVideo = false
    }

    func writers(_ f: Fixture) -> [Writer] {
        var list: [Writer] = [
            Writer(name: "intake") { "intake \"\(f.metadata)\" --out \"\($0)\"" },
            Writer(name: "synth", cell: { "synth --classes A --per-class 2 --out \"\($0)\"" }, makesFolder: true),
            Writer(name: "import", cell: { "import clip-npy \"\(f.importRoot)\" --out \"\($0)\"" }, makesFolder: true),
            Writer(name: "build", cell: { "build \"\(f.synthManifest)\" --static --out \"\($0)\"" }, makesFolder: true),
            Writer(name: "train", cell: { "train \"\(f.train)\" --epochs 1 --hidden-dim 8 --out \"\($0)\"" }, makesFolder: true),
            Writer(name: "eval") { "eval \"\(f.checkpoint)\" \"\(f.test)\" --confusion-out \"\($0)\"" },
            Writer(name: "eval") { "eval \"\(f.checkpoint)\" \"\(f.test)\" --confusion-out \"\(f.root.path)/cm.npy\" --out \"\($0)\"" },
            Writer(name: "export") { "export onnx --checkpoint \"\(f.checkpoint)\" --out \"\($0)\"" },
            Writer(name: "export") { "export tflite --checkpoint \"\(f.checkpoint)\" --out \"\($0)\"" },
            Writer(name: "predict") { "predict \"\(f.landmarks)\" --model \"\(f.checkpoint)\" --out \"\($0)\"" },
            Writer(name: "plot") { "plot hand \"\(f.landmarks)\" --out \"\($0)\"" },
            Writer(name: ":save") { ":save \"\($0)\"" },
        ]
        if let videos = f.videos, let trimmed = f.trimmedManifest, let photos = f.photos {
            // download: the video is already in --videos, so --resume needs no network.
            list.append(Writer(name: "download", cell: {
                "download \"\(f.clipManifest)\" --videos \"\(videos)\" --resume --quiet --out \"\($0)\""
            }, needsVideo: true))
            list.append(Writer(name: "trim", cell: {
                "trim \"\(f.clipManifest)\" --videos \"\(videos)\" --clips \"\($0)\" --quiet --out \"\($0)/t.json\""
            }, makesFolder: true, needsVideo: true))
            list.append(Writer(name: "extract", cell: { "extract \"\(trimmed)\" --out \"\($0)\" --quiet --workers 1" },
                               makesFolder: true, needsModels: true, needsVideo: true))
            list.append(Writer(name: "prepare-alphabet", cell: { "prepare-alphabet \"\(photos)\" --out \"\($0)\" --quiet" },
                               makesFolder: true, needsModels: true, needsVideo: true))
        }
        return list
    }

    /// Where a file cannot be created, with the words the reason must use. Not root: a 0555
    /// folder. Root ignores permission bits, so `/sys` (sysfs refuses new files even to root).
    func unwritableFolder() throws -> (folder: URL, words: [String], cleanup: () -> Void) {
        if getuid() != 0 {
            let dir = try TestEnvironment.temporaryDirectory("aslsh-readonly")
            chmod(dir.path, 0o555)
            return (dir, ["permission denied"], {
                chmod(dir.path, 0o755)
                try? FileManager.default.removeItem(at: dir)
            })
        }
        guard FileManager.default.fileExists(atPath: "/sys/kernel") else { throw XCTSkip("running as root without /sys") }
        return (URL(fileURLWithPath: "/sys"), ["permission denied", "read-only file system"], {})
    }

    /// Hidden temporary files (`.NAME.PID.TOKEN.tmp`) and anything else under `dir`.
    func leftovers(_ dir: URL) -> [String] {
        (FileManager.default.enumerator(atPath: dir.path)?.allObjects as? [String]) ?? []
    }

    func testEveryWriterRefusesAnUnwritableFolderAndAParentThatIsAFileAndCreatesMissingFolders() throws {
        let f = try Self.fixture()
        let modelsPresent = TestEnvironment.mediapipeModel("palm_detection_full") != nil
        let (readonly, deniedWords, cleanup) = try unwritableFolder()
        defer { cleanup() }
        let scratch = try TestEnvironment.temporaryDirectory("aslsh-unwritable")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let blocker = scratch.appendingPathComponent("blocker")
        try Data("a regular file".utf8).write(to: blocker)
        var checked = Set<String>()

        for (n, writer) in writers(f).enumerated() {
            let shell = ShellHarness()
            let leaf = "out\(n)" + (writer.makesFolder ? "" : ".out")

            // (a) a folder that may not be written in.
            let denied = readonly.appendingPathComponent("aslsh-test-\(getpid())-\(leaf)").path
            let e1 = try XCTUnwrap(shell.error(writer.cell(denied)), "\(writer.name) into \(denied) should fail")
            XCTAssertTrue(e1.message.hasPrefix(writer.name + ": "), "names the command: \(e1.message)")
            XCTAssertTrue(e1.message.contains(denied), "names the path: \(e1.message)")
            XCTAssertTrue(e1.message.contains("cannot write: "), e1.message)
            XCTAssertTrue(deniedWords.contains { e1.message.contains($0) }, "says why (\(deniedWords)): \(e1.message)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: denied), "nothing created at \(denied)")
            XCTAssertFalse(e1.message.contains("NSCocoaErrorDomain") || e1.message.contains("Error Domain"), e1.message)

            // (b) a path whose parent is a regular file (same words for root and everyone else).
            let underFile = blocker.appendingPathComponent(leaf).path
            let e2 = try XCTUnwrap(shell.error(writer.cell(underFile)), "\(writer.name) under a file should fail")
            XCTAssertTrue(e2.message.hasPrefix(writer.name + ": "), e2.message)
            XCTAssertTrue(e2.message.contains(underFile), e2.message)
            XCTAssertTrue(e2.message.contains("cannot write: \(blocker.path) is a file, not a folder"), e2.message)

            // (c) a folder that does not exist yet: created, the output written.
            if writer.needsModels && !modelsPresent { continue }
            let fresh = scratch.appendingPathComponent("new\(n)/a/b").appendingPathComponent(leaf).path
            let e3 = shell.error(writer.cell(fresh))
            if writer.name == "download", e3?.message.contains("yt-dlp not found") == true { continue }   // no yt-dlp here
            if writer.name == "prepare-alphabet" {
                // The test-pattern photo has no hand: every photo failed, so the command fails —
                // after creating its folder — and says so (the all-failed rule).
                XCTAssertTrue(e3?.message.contains("no clips written: all 1 inputs failed (no hand detected: 1)") == true,
                              "\(String(describing: e3))")
                XCTAssertTrue(FileManager.default.fileExists(atPath: fresh), "the output folder was created")
            } else {
                XCTAssertNil(e3, "\(writer.name) into a missing folder: \(String(describing: e3))")
                XCTAssertTrue(FileManager.default.fileExists(atPath: fresh), "\(writer.name) wrote \(fresh)")
            }
            checked.insert(writer.name)
        }
        // Nothing half-written anywhere: no temporary sibling survived a failure.
        XCTAssertEqual(leftovers(scratch).filter { $0.hasSuffix(".tmp") }, [])
        XCTAssertEqual(leftovers(blocker), [])
        // Every writer ran all three cases (the video ones when ffmpeg made the inputs, the
        // tracker ones when the MediaPipe models are installed; download needs yt-dlp for (c)).
        var expected: Set<String> = ["intake", "synth", "import", "build", "train", "eval", "export", "predict", "plot", ":save"]
        if f.videos != nil { expected.insert("trim") }
        if f.videos != nil && modelsPresent { expected.formUnion(["extract", "prepare-alphabet"]) }
        XCTAssertTrue(checked.isSuperset(of: expected), "\(expected.subtracting(checked)) not checked")
    }

    // MARK: reading: missing vs malformed

    func testTruncatedNPZSaysSoInProjectWords() throws {
        let f = try Self.fixture()
        let cut = f.root.appendingPathComponent("truncated.npz")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: f.train))
        try bytes.prefix(bytes.count / 2).write(to: cut)
        let shell = ShellHarness()
        for cell in ["load \"\(cut.path)\"", "train \"\(cut.path)\" --epochs 1 --out \"\(f.root.path)/ck2\""] {
            let message = try XCTUnwrap(shell.error(cell)?.message, cell)
            XCTAssertTrue(message.contains("\(cut.path): not a valid npz (truncated or not a zip archive: no end-of-archive record)"), message)
            XCTAssertFalse(message.contains("missingEndOfCentralDirectoryRecord"), "no ZIPFoundation enum names: \(message)")
        }
        let missing = try XCTUnwrap(shell.error("train \"\(f.root.path)/absent.npz\"")?.message)
        XCTAssertTrue(missing.hasSuffix("\(f.root.path)/absent.npz: no such file"), missing)
    }

    func testMissingAndMalformedManifestsAreWordedDifferently() throws {
        let f = try Self.fixture()
        let shell = ShellHarness()
        let absent = f.root.appendingPathComponent("absent.json").path
        let broken = f.root.appendingPathComponent("broken.json")
        try Data("[{\"clip_id\": ".utf8).write(to: broken)
        let object = f.root.appendingPathComponent("object.json")
        try Data("{\"a\": 1}".utf8).write(to: object)

        // The landmark manifest (build) and the clip manifest (trim, download) say the same thing.
        for (command, cell) in [("build", "build \"\(absent)\""), ("trim", "trim \"\(absent)\" --dry-run"),
                                ("download", "download \"\(absent)\" --dry-run")] {
            let missing = try XCTUnwrap(shell.error(cell)?.message, cell)
            XCTAssertEqual(missing, "\(command): \(absent): no such file", "missing is not 'malformed'")
        }
        let landmark = try XCTUnwrap(shell.error("build \"\(broken.path)\"")?.message)
        XCTAssertTrue(landmark.hasPrefix("build: \(broken.path): not a valid landmark manifest (invalid JSON at line 1, column"), landmark)
        let landmarkObject = try XCTUnwrap(shell.error("build \"\(object.path)\"")?.message)
        XCTAssertEqual(landmarkObject, "build: \(object.path): not a valid landmark manifest (expected a JSON array of landmark records)")
        let clips = try XCTUnwrap(shell.error("trim \"\(broken.path)\" --dry-run")?.message)
        XCTAssertTrue(clips.hasPrefix("trim: \(broken.path):1:"), clips)
        XCTAssertTrue(clips.contains("not valid JSON ("), clips)
        let clipsObject = try XCTUnwrap(shell.error("trim \"\(object.path)\" --dry-run")?.message)
        XCTAssertEqual(clipsObject, "trim: \(object.path): not a valid manifest (expected a JSON array of clip records)")
        // A record with a missing field names the record and the field, not Swift's DecodingError.
        try Data("[{\"clip_id\": \"x\"}]".utf8).write(to: broken)
        let record = try XCTUnwrap(shell.error("trim \"\(broken.path)\" --dry-run")?.message)
        XCTAssertTrue(record.hasPrefix("trim: \(broken.path): record 0: missing field '"), record)
        XCTAssertFalse(record.contains("CodingKeys"), record)
    }

    func testCorruptPhotoIsNotAValidJPEGWithoutTurboJPEGNames() throws {
        let f = try Self.fixture()
        let bad = f.root.appendingPathComponent("bad.jpg")
        try Data("not a jpeg at all".utf8).write(to: bad)
        let message = try XCTUnwrap(ShellHarness().error("plot overlay \"\(bad.path)\" --out \"\(f.root.path)/o.png\"")?.message)
        XCTAssertTrue(message.hasPrefix("plot: \(bad.path): not a valid JPEG (not a JPEG file"), message)
        XCTAssertFalse(message.contains("tjDecompress"), message)
        // A real JPEG cut in half: libjpeg's own reason, still in the same words.
        if let photos = f.photos, let data = FileManager.default.contents(atPath: photos + "/A_1.jpg") {
            try data.prefix(data.count / 2).write(to: bad)
            let cut = try XCTUnwrap(ShellHarness().error("plot overlay \"\(bad.path)\" --out \"\(f.root.path)/o.png\"")?.message)
            XCTAssertTrue(cut.hasPrefix("plot: \(bad.path): not a valid JPEG ("), cut)
            XCTAssertFalse(cut.contains("tjDecompress"), cut)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(f.root.path)/o.png"))
    }

    // MARK: exit status of batches

    func testPredictExitsNonZeroOnlyWhenEveryItemFailed() throws {
        let f = try Self.fixture()
        let folder = f.root.appendingPathComponent("predict-items")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("not an npy".utf8).write(to: folder.appendingPathComponent("bad.npy"))
        let out = f.root.appendingPathComponent("predict-out/all.jsonl")

        // In the shell: every item failed → the cell fails, naming the command and the item.
        let error = try XCTUnwrap(ShellHarness().error("predict \"\(folder.path)\" --model \"\(f.checkpoint)\" --out \"\(out.path)\""))
        XCTAssertTrue(error.message.hasPrefix("predict: "), error.message)
        XCTAssertTrue(error.message.contains("bad.npy"), error.message)
        XCTAssertTrue(error.message.contains("not a valid npy"), error.message)
        // The results file is complete (one error row), in a folder predict created.
        XCTAssertEqual(try String(contentsOf: out, encoding: .utf8).split(separator: "\n").count, 1)

        // One-shot: exit status 1 when all failed …
        let all = try AslshBinary.run(["predict", folder.path, "--model", f.checkpoint])
        XCTAssertEqual(all.status, 1, all.stderr)
        XCTAssertTrue(all.stderr.contains("predict: ") && all.stderr.contains("bad.npy"), all.stderr)
        // … 0 when some succeeded, with the count of failures on the output.
        try FileManager.default.copyItem(atPath: f.landmarks, toPath: folder.appendingPathComponent("good.npy").path)
        let some = try AslshBinary.run(["-c", "predict \"\(folder.path)\" --model \"\(f.checkpoint)\""])
        XCTAssertEqual(some.status, 0, some.stderr)
        XCTAssertTrue(some.stdout.contains("1 of 2 items failed; the others were predicted"), some.stdout)
    }

    func testTrimAndDownloadFailWhenEveryItemFailed() throws {
        let f = try Self.fixture()
        let shell = ShellHarness()
        // No video anywhere for the one clip: trim fails as a command, after its summary.
        let trim = try XCTUnwrap(shell.error("trim \"\(f.clipManifest)\" --videos \"\(f.root.path)/nowhere\" --clips \"\(f.root.path)/t-all\" "
                                             + "--out \"\(f.root.path)/t-all/t.json\" --quiet"))
        XCTAssertTrue(trim.message.hasPrefix("trim: all 1 clips failed (first: "), trim.message)
        XCTAssertTrue(trim.message.contains("no source video"), trim.message)
        let script = f.root.appendingPathComponent("all-failed.aslsh")
        try Data("trim \"\(f.clipManifest)\" --videos \"\(f.root.path)/nowhere\" --clips \"\(f.root.path)/t-all2\" --out \"\(f.root.path)/t-all2/t.json\" --quiet\n".utf8)
            .write(to: script)
        let run = try AslshBinary.run([script.path])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("all-failed.aslsh:1:1: error (cell 1): trim: all 1 clips failed"), run.stderr)
    }
}
