import XCTest
import TestSupport

/// FFmpeg's libraries (and the ~130 they pull in) are loaded when video is first used, not at
/// start-up: a command that never touches video starts without them, and when they cannot be
/// loaded only the video command fails, naming the library and the package that provides it.
final class LibraryLoadingTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        guard AslshBinary.url != nil else { throw XCTSkip(AslshBinary.missingMessage) }
        directory = try TestEnvironment.temporaryDirectory("aslsh-libraries")
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    /// A small trained model in `directory` (two synthetic letters, one epoch) for `predict`.
    private let modelCells = "synth --classes 'A B' --per-class 6 --out s; build s/synth_manifest.json --static --splits '0.5 0.25 0.25' --dataset-dir d; net = train d/train.npz --epochs 1 --checkpoint-dir m"

    /// The dynamic loader's own log (LD_DEBUG=libs) of the libraries a run opened.
    private func loadedLibraries(_ cells: String) throws -> (AslshBinary.Result, String) {
        let result = try AslshBinary.run(["-c", cells], in: directory, environment: ["LD_DEBUG": "libs"])
        return (result, result.stderr)
    }

    func testCommandsWithoutVideoDoNotLoadFFmpeg() throws {
        let (plain, log) = try loadedLibraries("synth --classes 'A B' --per-class 2 --out s; echo done")
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(plain.stdout.hasSuffix("done\n"), plain.stdout)
        XCTAssertTrue(log.contains("calling init:"), "LD_DEBUG=libs logs each library's initialiser")
        for library in ["libavformat", "libavcodec", "libswscale", "libavdevice", "libx264"] {
            XCTAssertFalse(log.contains(library), "\(library) is loaded though nothing used video")
        }
    }

    /// OpenBLAS (with libgfortran and its thread pool) loads on the first matrix product.
    func testOpenBLASLoadsOnTheFirstMatrixProduct() throws {
        let (plain, log) = try loadedLibraries("synth --classes 'A B' --per-class 2 --out s; echo done")
        XCTAssertTrue(plain.stdout.hasSuffix("done\n"), plain.stderr.suffix(300).description)
        for library in ["libopenblas", "libgfortran"] {
            XCTAssertFalse(log.contains(library), "\(library) is loaded though nothing multiplied matrices")
        }
        let (trained, trainLog) = try loadedLibraries(modelCells + "; echo trained")
        XCTAssertTrue(trained.stdout.hasSuffix("trained\n"), trained.stderr.suffix(300).description)
        XCTAssertTrue(trainLog.contains("libopenblas.so.0"), "training loads OpenBLAS")
    }

    /// Hand tracking runs the TFLite models on aslsh's own kernels: `prepare-alphabet` on real
    /// photos finds hands without loading OpenBLAS, so it works where OpenBLAS is missing.
    func testHandTrackingDoesNotLoadOpenBLAS() throws {
        guard let root = TestEnvironment.sharedPath("realdata/asl_alphabet_photos_224/test"),
              TestEnvironment.mediapipeModel("palm_detection_full") != nil else {
            throw XCTSkip("needs ../shared/realdata and models/mediapipe")
        }
        let photos = directory.appendingPathComponent("photos/A")
        try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("A").path).sorted().prefix(3) {
            try FileManager.default.createSymbolicLink(at: photos.appendingPathComponent(file),
                                                       withDestinationURL: root.appendingPathComponent("A/\(file)"))
        }
        let models = TestEnvironment.repositoryRoot.appendingPathComponent("models/mediapipe").path
        let (run, log) = try loadedLibraries("a = prepare-alphabet photos --out alpha --models \(models) --quiet; a.clips; echo tracked")
        XCTAssertTrue(run.stdout.hasSuffix("tracked\n"), run.stderr.suffix(300).description)
        let lines = run.stdout.split(separator: "\n")
        let clips = lines.count >= 2 ? Int(lines[lines.count - 2]) : nil
        XCTAssertGreaterThanOrEqual(clips ?? 0, 1, "hands were tracked: \(run.stdout)")
        XCTAssertTrue(log.contains("calling init:"), "LD_DEBUG=libs logs each library's initialiser")
        for library in ["libopenblas", "libgfortran"] {
            XCTAssertFalse(log.contains(library), "\(library) is loaded though hand tracking multiplies no matrices through it")
        }
    }

    /// A broken OpenBLAS (an empty libopenblas.so.0 first on the library path): the command that
    /// multiplies matrices fails with the library, the reason and the package to install; the
    /// commands before and after it run, and the shell is not stopped.
    func testAMissingOpenBLASFailsOnlyTheCommandThatNeedsIt() throws {
        let broken = directory.appendingPathComponent("broken-blas")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        try Data().write(to: broken.appendingPathComponent("libopenblas.so.0"))
        let run = try AslshBinary.run(["--keep-going", "-c", modelCells.replacingOccurrences(of: "; net = train", with: "; echo before; net = train")
                                       + "; echo after"], in: directory, environment: ["LD_LIBRARY_PATH": broken.path])
        XCTAssertNotEqual(run.status, 134, "the shell was aborted: \(run.stderr.suffix(400))")
        XCTAssertTrue(run.stdout.contains("before\n"), run.stdout)
        XCTAssertTrue(run.stdout.hasSuffix("after\n"), run.stdout + run.stderr.suffix(400))
        for text in ["train: matrix products need OpenBLAS (libopenblas.so.0)", "file too short", "apt install libopenblas0"] {
            XCTAssertTrue((run.stdout + run.stderr).contains(text), "the error lacks '\(text)':\n\(run.stdout)\(run.stderr.suffix(600))")
        }
    }

    /// An OPENBLAS_CORETYPE the CPU cannot run (images often force their host's) is not passed on:
    /// OpenBLAS detects the CPU, `--version` says why, and training runs instead of dying of
    /// SIGILL. One it can run is used as asked.
    func testAnOpenBLASCoreTheCPUCannotRunIsIgnored() throws {
        // Bulldozer's kernels need AMD's FMA4, which no Intel CPU and no AMD CPU since Zen has.
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let hasFMA4 = flags.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").contains("fma4") ?? false
        let bulldozer = try AslshBinary.run(["--version"], in: directory, environment: ["OPENBLAS_CORETYPE": "Bulldozer"])
        XCTAssertEqual(bulldozer.status, 0, bulldozer.stderr)
        if hasFMA4 {
            XCTAssertTrue(bulldozer.stdout.contains("OpenBLAS: Bulldozer;"), bulldozer.stdout)
        } else {
            XCTAssertTrue(bulldozer.stdout.contains("(OPENBLAS_CORETYPE=Bulldozer ignored: this CPU lacks fma4);"), bulldozer.stdout)
            XCTAssertFalse(bulldozer.stdout.contains("OpenBLAS: Bulldozer"), bulldozer.stdout)
            let trained = try AslshBinary.run(["-c", modelCells + "; echo trained"], in: directory,
                                              environment: ["OPENBLAS_CORETYPE": "Bulldozer"])
            XCTAssertTrue(trained.stdout.hasSuffix("trained\n"), "status \(trained.status): \(trained.stderr.suffix(300))")
        }
        // Nehalem's SSE kernels run on every x86-64 CPU aslsh supports: taken as asked, no note.
        let nehalem = try AslshBinary.run(["--version"], in: directory, environment: ["OPENBLAS_CORETYPE": "nehalem"])
        XCTAssertTrue(nehalem.stdout.contains("OpenBLAS: Nehalem;"), nehalem.stdout)
        XCTAssertFalse(nehalem.stdout.contains("ignored"), nehalem.stdout)
    }

    /// The Jupyter kernel's libzmq (with its ~18 dependencies) and libcrypto load when a kernel
    /// starts, never for the shell. Here the kernel loads them, then fails to bind a bad address
    /// and says which.
    func testTheKernelsLibrariesLoadOnlyForTheKernel() throws {
        let (plain, log) = try loadedLibraries("echo 1")
        XCTAssertEqual(plain.stdout, "1\n", plain.stderr.suffix(300).description)
        for library in ["libzmq", "libcrypto", "libsodium"] {
            XCTAssertFalse(log.contains(library), "\(library) is loaded by the shell")
        }
        let connection = directory.appendingPathComponent("kernel.json")
        try Data(#"{"ip": "256.1.1.1", "transport": "tcp", "shell_port": 5, "iopub_port": 6, "stdin_port": 7, "control_port": 8, "hb_port": 9, "key": "k"}"#.utf8)
            .write(to: connection)
        let kernel = try AslshBinary.run(["kernel", "-f", connection.path], in: directory, environment: ["LD_DEBUG": "libs"])
        XCTAssertEqual(kernel.status, 2)
        XCTAssertTrue(kernel.stderr.contains("libzmq.so.5") && kernel.stderr.contains("libcrypto.so.3"), "the kernel loads them")
        XCTAssertTrue(kernel.stderr.contains("aslsh kernel: binding the shell socket to tcp://256.1.1.1:5: "), kernel.stderr.suffix(800).description)
    }

    func testVideoLoadsFFmpegOnFirstUse() throws {
        let clip = directory.appendingPathComponent("clip.mp4")
        let make = try ExternalTool.launch(URL(fileURLWithPath: "/usr/bin/ffmpeg"),
                                           ["-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=0.5",
                                            "-c:v", "libx264", "-pix_fmt", "yuv420p", clip.path])
        XCTAssertEqual(make.status, 0, make.stderr)
        let (result, log) = try loadedLibraries("trim nothing.json")
        XCTAssertEqual(result.status, 1, "a missing manifest fails before any video is opened")
        XCTAssertFalse(log.contains("libavformat"))
        let (video, videoLog) = try loadedLibraries(modelCells + "; predict clip.mp4 --model net.checkpoint --window 2")
        XCTAssertTrue((video.stdout + video.stderr).contains("clip.mp4"), "predict reported on the clip: \(video.stdout)")
        XCTAssertTrue(videoLog.contains("libavformat.so"), "opening a video loads libavformat")
        XCTAssertFalse(videoLog.contains("libavdevice"), "cameras' libavdevice only for /dev/video*: \(video.stderr.suffix(300))")
    }

    /// A broken FFmpeg installation (here an empty libavformat.so.N found first on the library
    /// path): the video command fails with the library, the reason and the package to install;
    /// the commands before and after it run.
    func testAMissingLibraryFailsOnlyTheVideoCommandWithAFix() throws {
        let broken = directory.appendingPathComponent("broken")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        // The soname aslsh was built against: read it from the loader's own message on a real run.
        try Data("not a video".utf8).write(to: directory.appendingPathComponent("clip.mp4"))
        let probe = try AslshBinary.run(["-c", modelCells + "; predict clip.mp4 --model net.checkpoint"], in: directory,
                                        environment: ["LD_DEBUG": "libs"])
        let soname = try XCTUnwrap(probe.stderr.range(of: #"libavformat\.so\.[0-9]+"#, options: .regularExpression)
            .map { String(probe.stderr[$0]) }, probe.stderr.suffix(500).description)
        try Data().write(to: broken.appendingPathComponent(soname))
        let run = try AslshBinary.run(["--keep-going", "-c", modelCells + "; echo before; predict clip.mp4 --model net.checkpoint; echo after"],
                                      in: directory, environment: ["LD_LIBRARY_PATH": broken.path])
        XCTAssertTrue(run.stdout.contains("before\n"), run.stdout)
        XCTAssertTrue(run.stdout.hasSuffix("after\n"), run.stdout)
        let major = soname.split(separator: ".").last!
        for text in ["video needs FFmpeg's libavformat (\(soname))", "file too short", "apt install libavformat\(major)"] {
            XCTAssertTrue((run.stdout + run.stderr).contains(text), "the error lacks '\(text)':\n\(run.stdout)\(run.stderr)")
        }
    }
}
