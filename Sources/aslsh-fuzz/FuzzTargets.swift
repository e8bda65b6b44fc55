import Datasets
import Foundation
import Media
import ONNXExport
import Pipeline
import Shell
import TensorCore
import TFLiteRuntime
import Training

/// One reader under test. `run` feeds it the input and may throw whatever the reader throws: a
/// thrown error is a correct answer to bad bytes. A finding is anything else — a trap, a
/// sanitizer report, a hang, an allocation past the memory limit — or an error that does not
/// name the file it came from (`FuzzTargets.run` checks that).
struct FuzzTarget {
    let name: String
    /// Largest input `make fuzz` gives it (-max_len): about the size of the structure that matters.
    let maxLength: Int
    /// File name the input is written to (for readers that take a path), or the label passed to
    /// readers that decode bytes in memory. Errors must mention it.
    let fileName: String
    /// Whether errors are expected to name `fileName` (a shell cell or transcript has no file).
    var errorsNameFile = true
    let run: (_ data: Data, _ url: URL) throws -> Void
}

enum FuzzTargets {
    nonisolated(unsafe) static var current: FuzzTarget?

    /// Per-process scratch folder in RAM for readers that open a path.
    static let scratch: URL = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let url = URL(fileURLWithPath: base).appendingPathComponent("aslsh-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: FuzzTargets.scratch) }
        return url
    }()

    static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }

    /// Runs the current target on one input; traps (a libFuzzer finding) on an error that does
    /// not say which file it is about.
    static func run(_ data: Data) {
        guard let target = current else { return }
        let url = scratch.appendingPathComponent(target.fileName)
        do {
            try target.run(data, url)
        } catch {
            let text = "\(error)"
            if target.errorsNameFile && !text.contains(target.fileName) {
                fatalError("\(target.name): the error does not name the file: \(text)")
            }
        }
    }

    /// Writes the input where a path-taking reader will find it (plain write: tmpfs, one process).
    static func file(_ data: Data, _ url: URL) throws -> URL {
        try data.write(to: url)
        return url
    }

    static let all: [FuzzTarget] = [
        // Models.
        // TFLiteError places a problem by byte offset or operator index, not by file: its callers
        // name the file, so here only the absence of traps and runaway allocations is checked.
        FuzzTarget(name: "tflite", maxLength: 16_384, fileName: "model.tflite", errorsNameFile: false) { data, _ in
            // The reader, then the interpreter's load-time checks (constants, ops, shapes, arena).
            let model = try TFLiteModel(bytes: [UInt8](data))
            _ = try TFLiteInterpreter(model: model)
        },
        FuzzTarget(name: "onnx", maxLength: 16_384, fileName: "model.onnx") { data, _ in
            _ = try ONNXModelReader.decode(data, file: "model.onnx")
        },
        FuzzTarget(name: "checkpoint", maxLength: 16_384, fileName: "model.safetensors") { data, url in
            _ = try Checkpoint.load(try file(data, url))
        },
        // Arrays.
        FuzzTarget(name: "npy", maxLength: 4096, fileName: "array.npy") { data, _ in
            _ = try NPY.decode(data, file: "array.npy")
        },
        FuzzTarget(name: "npz", maxLength: 8192, fileName: "arrays.npz") { data, url in
            _ = try NPZ.read(contentsOf: try file(data, url))
        },
        FuzzTarget(name: "safetensors", maxLength: 4096, fileName: "tensors.safetensors") { data, _ in
            _ = try Safetensors.decode(data, file: "tensors.safetensors")
        },
        FuzzTarget(name: "dataset", maxLength: 8192, fileName: "letters_train.npz") { data, url in
            _ = try Dataset(contentsOf: try file(data, url))
        },
        // Metadata and manifests.
        FuzzTarget(name: "intake", maxLength: 4096, fileName: "MSASL_train.json") { data, url in
            // MS-ASL, WLASL_v0.3 and nslt layouts are told apart by shape, whatever the name.
            _ = try Intake.run(IntakeOptions(inputs: [try file(data, url)]))
        },
        FuzzTarget(name: "class-list", maxLength: 2048, fileName: "wlasl_class_list.txt") { data, url in
            // A tiny nslt map beside the class list: intake reads the list to name the classes.
            let map = url.deletingLastPathComponent().appendingPathComponent("nslt_100.json")
            if !FileManager.default.fileExists(atPath: map.path) {
                try Data(#"{"00001": {"subset": "train", "action": [3, 1, 40]}}"#.utf8).write(to: map)
            }
            _ = try file(data, url)
            _ = try Intake.run(IntakeOptions(inputs: [map]))
        },
        FuzzTarget(name: "manifest", maxLength: 4096, fileName: "manifest.json") { data, url in
            _ = try Manifest.read(try file(data, url))
        },
        FuzzTarget(name: "landmark-manifest", maxLength: 4096, fileName: "landmarks.json") { data, url in
            _ = try LandmarkManifest.read(contentsOf: try file(data, url))
        },
        FuzzTarget(name: "keypoint-csv", maxLength: 4096, fileName: "keypoint.csv") { data, url in
            let out = url.deletingLastPathComponent().appendingPathComponent("keypoint-import")
            defer { try? FileManager.default.removeItem(at: out) }
            try KeypointCSVImporter.run(keypoints: try file(data, url), labels: nil, to: out)
        },
        // The shell: command language, transcripts, notebooks, `load`.
        FuzzTarget(name: "shell-syntax", maxLength: 1024, fileName: "cell", errorsNameFile: false) { data, _ in
            let text = String(decoding: data, as: UTF8.self)
            _ = Lexer.needsMoreInput(text)
            for cell in CellSplitter.split(text) { _ = try? Parser.parse(cell) }
        },
        FuzzTarget(name: "transcript", maxLength: 2048, fileName: "session.aslsh", errorsNameFile: false) { data, _ in
            let text = String(decoding: data, as: UTF8.self)
            _ = Transcript.seed(in: text)
            _ = Transcript.headerNotes(in: text)
            _ = try Transcript.parse(text)
        },
        FuzzTarget(name: "notebook", maxLength: 4096, fileName: "session.ipynb") { data, _ in
            let notebook = try Notebook.read(data, file: "session.ipynb")
            _ = NotebookConversion.transcript(from: notebook, file: "session.ipynb")
        },
        FuzzTarget(name: "load-json", maxLength: 2048, fileName: "values.json") { data, url in
            _ = try ValueLoading.load(try file(data, url), format: .json)
        },
        FuzzTarget(name: "load-jsonl", maxLength: 2048, fileName: "values.jsonl") { data, url in
            _ = try ValueLoading.load(try file(data, url), format: .jsonl)
        },
        FuzzTarget(name: "load-csv", maxLength: 2048, fileName: "values.csv") { data, url in
            _ = try ValueLoading.load(try file(data, url), format: .csv)
        },
        // Images and video.
        FuzzTarget(name: "jpeg", maxLength: 8192, fileName: "photo.jpg") { data, _ in
            _ = try JPEG.decode(data, file: "photo.jpg")
        },
        FuzzTarget(name: "png", maxLength: 8192, fileName: "image.png") { data, _ in
            _ = try PNG.decode(data, channels: 3, file: "image.png")
            _ = try PNG.decode(data, channels: 4, file: "image.png")
        },
        FuzzTarget(name: "video", maxLength: 16_384, fileName: "clip.mp4") { data, url in
            // Open (probe, find the stream, open the decoder), then decode every frame, scaled small.
            // One decoder thread: FFmpeg's frame threads would be started (and their contexts
            // zeroed) for every input, most of the time spent, and make runs nondeterministic.
            let reader = try VideoReader(url: try file(data, url), threads: 1)
            var frames = reader.frames(size: ImageSize(width: 32, height: 32))
            var count = 0
            while count < 64, try frames.next() != nil { count += 1 }
            _ = try VideoFileFacts(probing: url)
        },
    ]
}
