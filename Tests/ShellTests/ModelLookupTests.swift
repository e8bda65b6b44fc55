import XCTest
import TestSupport
@testable import Hands

/// Where MediaPipe's models are found: `--models`, `$ASLSH_MODELS/mediapipe`, `./models/mediapipe`,
/// the `make install` layout beside the binary, the checkout the binary was built in — and an
/// error listing every place tried. End to end with `make install PREFIX=…` and a command run
/// from a folder that is no checkout.
final class ModelLookupTests: XCTestCase {
    private var directory: URL!
    private let modelFiles = ["palm_detection_full.tflite", "hand_landmark_full.tflite"]
    private var checkoutModels: URL { TestEnvironment.repositoryRoot.appendingPathComponent("models/mediapipe") }

    override func setUpWithError() throws {
        directory = try TestEnvironment.temporaryDirectory("aslsh-models")
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    private func folder(_ path: String, withModels: Bool = false) throws -> URL {
        let url = directory.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        if withModels { for file in modelFiles { try Data().write(to: url.appendingPathComponent(file)) } }
        return url
    }

    func testSearchOrderAndTheFirstFolderWithEveryFileWins() throws {
        let checkout = try folder("checkout")
        try Data().write(to: checkout.appendingPathComponent("Package.swift"))
        let executable = try folder("checkout/.build/x86_64-unknown-linux-gnu/release").appendingPathComponent("aslsh")
        let cwd = try folder("work")
        let search = MediaPipeModelSearch(environment: ["ASLSH_MODELS": directory.appendingPathComponent("root").path],
                                          currentDirectory: cwd, executable: executable)
        XCTAssertEqual(search.places.map(\.directory.standardizedFileURL.path), [
            directory.appendingPathComponent("root/mediapipe").path,
            cwd.appendingPathComponent("models/mediapipe").path,
            checkout.appendingPathComponent(".build/x86_64-unknown-linux-gnu/share/aslsh/models/mediapipe").path,
            checkout.appendingPathComponent("models/mediapipe").path,
        ])
        XCTAssertThrowsError(try search.locate(modelFiles))

        let built = try folder("checkout/models/mediapipe", withModels: true)
        XCTAssertEqual(try search.locate(modelFiles).path, built.path)
        let local = try folder("work/models/mediapipe", withModels: true)
        XCTAssertEqual(try search.locate(modelFiles).path, local.path)
        // A folder with only some of the files is passed over.
        let partial = try folder("root/mediapipe")
        try Data().write(to: partial.appendingPathComponent(modelFiles[0]))
        XCTAssertEqual(try search.locate(modelFiles).path, local.path)
        try Data().write(to: partial.appendingPathComponent(modelFiles[1]))
        XCTAssertEqual(try search.locate(modelFiles).path, partial.path)

        // --models is the only place when given; an empty ASLSH_MODELS counts as unset.
        let explicit = MediaPipeModelSearch(explicit: directory.appendingPathComponent("nowhere"),
                                            environment: [:], currentDirectory: cwd, executable: executable)
        XCTAssertEqual(explicit.places.map(\.origin), ["--models"])
        XCTAssertThrowsError(try explicit.locate(modelFiles)) {
            XCTAssertTrue("\($0)".contains("--models was given, so no other place is searched"), "\($0)")
        }
        let unset = MediaPipeModelSearch(environment: ["ASLSH_MODELS": ""], currentDirectory: cwd, executable: executable)
        XCTAssertEqual(unset.places.first?.origin, "models/mediapipe under the current directory")
    }

    func testInstalledLayoutAndTheNotFoundReport() throws {
        let prefix = try folder("prefix")
        let executable = try folder("prefix/bin").appendingPathComponent("aslsh")
        let cwd = try folder("work")
        let search = MediaPipeModelSearch(environment: ["ASLSH_MODELS": directory.appendingPathComponent("empty").path],
                                          currentDirectory: cwd, executable: executable)
        XCTAssertThrowsError(try search.locate(modelFiles)) { error in
            XCTAssertEqual("\(error)", """
            MediaPipe hand models (palm_detection_full.tflite, hand_landmark_full.tflite) not found; looked in:
              1. \(directory.path)/empty/mediapipe  ($ASLSH_MODELS/mediapipe)
              2. \(cwd.path)/models/mediapipe  (models/mediapipe under the current directory)
              3. \(prefix.path)/share/aslsh/models/mediapipe  (installed beside \(executable.path))
              (not searched: no checkout (folder with Package.swift) above \(prefix.path)/bin)
            to fix: run `make setup` in the checkout (fetches them into models/mediapipe), `make install` (installs them beside the binary), or point to a folder holding them with `--models DIR` or `ASLSH_MODELS=ROOT` (ROOT/mediapipe)
            """)
        }
        let installed = try folder("prefix/share/aslsh/models/mediapipe", withModels: true)
        XCTAssertEqual(try search.locate(modelFiles).path, installed.path)
    }

    /// The built binary run from a folder that is no checkout finds the checkout's models.
    func testBuiltBinaryFindsTheCheckoutsModelsFromAnyFolder() throws {
        guard AslshBinary.url != nil else { throw XCTSkip(AslshBinary.missingMessage) }
        try requireCheckoutModels()
        let work = try photoFolder()
        let result = try AslshBinary.run(["prepare-alphabet", "photos", "--dry-run", "--output-root", "out"], in: work,
                                         environment: ["ASLSH_MODELS": ""])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("dry run: 1 photos in 1 classes"), result.stdout)
    }

    /// `make install PREFIX=…` (with the already built binary): the installed copy runs, finds its
    /// models from any folder, and says everywhere it looked once they are gone; `make uninstall`
    /// removes it all.
    func testMakeInstallPutsTheBinaryAndModelsWhereTheBinaryFindsThem() throws {
        guard let binary = AslshBinary.url else { throw XCTSkip(AslshBinary.missingMessage) }
        try requireCheckoutModels()
        let make = URL(fileURLWithPath: "/usr/bin/make")
        guard FileManager.default.isExecutableFile(atPath: make.path) else { throw XCTSkip("make is not installed") }
        let prefix = directory.appendingPathComponent("prefix")
        let install = try ExternalTool.launch(make, ["--no-print-directory", "install", "PREFIX=\(prefix.path)", "BIN=\(binary.path)"],
                                              directory: TestEnvironment.repositoryRoot)
        XCTAssertEqual(install.status, 0, install.stderr)
        let installed = prefix.appendingPathComponent("bin/aslsh")
        let models = prefix.appendingPathComponent("share/aslsh/models/mediapipe")
        for name in ["palm_detection_full", "palm_detection_lite", "hand_landmark_full", "hand_landmark_lite"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: models.appendingPathComponent("\(name).tflite").path), name)
        }
        let version = try ExternalTool.launch(installed, ["--version"], directory: FileManager.default.temporaryDirectory)
        XCTAssertEqual(version.status, 0, version.stderr)
        XCTAssertTrue(version.stdout.hasPrefix("aslsh "), version.stdout)

        let work = try photoFolder()
        let arguments = ["prepare-alphabet", "photos", "--dry-run", "--output-root", "out"]
        let found = try ExternalTool.launch(installed, arguments, directory: work, environment: ["ASLSH_MODELS": ""])
        XCTAssertEqual(found.status, 0, found.stderr)

        try FileManager.default.removeItem(at: models.appendingPathComponent("hand_landmark_full.tflite"))
        let empty = try folder("empty")
        let missing = try ExternalTool.launch(installed, arguments, directory: work, environment: ["ASLSH_MODELS": empty.path])
        XCTAssertEqual(missing.status, 1)
        for text in ["\(empty.path)/mediapipe  ($ASLSH_MODELS/mediapipe)", "\(work.path)/models/mediapipe",
                     "\(models.path)  (installed beside \(installed.path))", "no checkout", "make setup", "--models DIR", "ASLSH_MODELS=ROOT"] {
            XCTAssertTrue(missing.stderr.contains(text), "the error lacks '\(text)':\n\(missing.stderr)")
        }

        let uninstall = try ExternalTool.launch(make, ["--no-print-directory", "uninstall", "PREFIX=\(prefix.path)"],
                                                directory: TestEnvironment.repositoryRoot)
        XCTAssertEqual(uninstall.status, 0, uninstall.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: installed.path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: prefix.appendingPathComponent("share/aslsh").path))
    }

    /// What a new user does after `make install`: in a folder of their own (no checkout, no
    /// models, no flags naming either), real letter photos → landmarks → dataset → model →
    /// a prediction on a photo, with the installed binary alone.
    func testInstalledBinaryRunsTheLettersWorkflowFromAnyFolder() throws {
        guard let binary = AslshBinary.url else { throw XCTSkip(AslshBinary.missingMessage) }
        try requireCheckoutModels()
        guard let photos = TestEnvironment.sharedPath("realdata/asl_alphabet_photos_224/test") else {
            throw XCTSkip(TestEnvironment.sharedMissingMessage)
        }
        let prefix = directory.appendingPathComponent("prefix")
        let install = try ExternalTool.launch(URL(fileURLWithPath: "/usr/bin/make"),
                                              ["--no-print-directory", "install", "PREFIX=\(prefix.path)", "BIN=\(binary.path)"],
                                              directory: TestEnvironment.repositoryRoot)
        XCTAssertEqual(install.status, 0, install.stderr)
        // Three letters' photos, as a user would lay them out: photos/<Letter>/*.jpg.
        let work = try folder("letters")
        for letter in ["A", "B", "L"] {
            try FileManager.default.createDirectory(at: work.appendingPathComponent("photos"), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(at: work.appendingPathComponent("photos/\(letter)"),
                                                       withDestinationURL: photos.appendingPathComponent(letter))
        }
        let cells = """
            a = prepare-alphabet photos --out landmarks --hands 1 --quiet
            build a --static --splits 0.6 0.2 0.2 --out datasets
            net = train datasets/train.npz --val datasets/val.npz --epochs 40 --out models
            predict photos/L/L3.jpg --model net --top-k 1
            """
        let run = try ExternalTool.launch(prefix.appendingPathComponent("bin/aslsh"), ["-c", cells], directory: work,
                                          environment: ["ASLSH_MODELS": ""])
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        XCTAssertTrue(run.stdout.contains("in 3 classes from photos"), run.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work.appendingPathComponent("datasets/train.npz").path))
        let prediction = try XCTUnwrap(run.stdout.split(separator: "\n").first { $0.hasPrefix("photos/L/L3.jpg:") }, run.stdout)
        XCTAssertTrue(prediction.contains(":  L "), "the photo of an L is predicted as L: \(prediction)")
    }

    private func requireCheckoutModels() throws {
        guard modelFiles.allSatisfy({ FileManager.default.fileExists(atPath: checkoutModels.appendingPathComponent($0).path) }) else {
            throw XCTSkip("MediaPipe models are not in \(checkoutModels.path): run make setup")
        }
    }

    /// A folder (no checkout) holding `photos/A/x.png`: enough for `prepare-alphabet --dry-run`,
    /// which loads the models but reads no photo.
    private func photoFolder() throws -> URL {
        let photos = try folder("work/photos/A")
        try Data().write(to: photos.appendingPathComponent("x.png"))
        return directory.appendingPathComponent("work")
    }
}
