import Datasets
import Foundation
import Hands
import Inference
import JobControl
import LandmarkExtraction
import Media
import Pipeline
import TensorCore

/// `predict`: a trained or exported model on landmark files, photos, folders and video.
public enum PredictCommands {
    public static var all: [CommandDefinition] { [predict] }

    static let predict = CommandDefinition(
        "predict", summary: "recognise signs: landmarks .npy, an image, a folder, or video (sliding window)",
        discussion: """
        SOURCE is a landmark .npy ([T,21,3], [21,3], [T,63], or a stack [N,T,21,3]; [T,42,3] for a model of
        both hands, [T,28,3]/[T,49,3] with pose points; a mask
        `<name>.mask.npy` beside it is used), a .jpg/.png photo, a folder of those, or a video
        (any file FFmpeg reads, a stream URL — http://, rtsp://, udp://, … — a v4l2 camera
        /dev/videoN, or `-` for a pipe on stdin). Video is recognised continuously: every --stride frames the last --window frames go
        to the model, printed with timestamps as they come. With --sign-model, still windows
        (motion below --motion-threshold, in hand lengths per frame) go to the letter model (--model), moving ones to the sign model; the `model` column
        says which answered. A model trained on both hands gets both from the tracker (--hand both is implied).
        A bad item (no hand, wrong shape, unreadable) is reported and the rest go on.
        example: r = predict photos/ --model models/checkpoints/mlp_best.safetensors --top-k 3
        example: predict clip.mp4 --model letters.safetensors --sign-model signs.tflite --window 32 --stride 8 --out results.jsonl
        """,
        arguments: [ArgumentSpec("source", .path, "landmark .npy, image, folder, video file, stream URL or - (stdin)")],
        flags: [FlagSpec("model", .path, "checkpoint (.safetensors) or exported model (.tflite/.onnx); the letter model with --sign-model"),
                FlagSpec("sign-model", .path, "sign (sequence) model for moving windows of video"),
                FlagSpec("top-k", .int, "classes shown per item", default: .int(3), validate: FlagSpec.positive),
                FlagSpec("window", .int, "video: frames per window [default: the sequence model's T, else 16]", validate: FlagSpec.positive),
                FlagSpec("stride", .int, "video: frames between windows [default: window / 2]", validate: FlagSpec.positive),
                FlagSpec("motion-threshold", .number, "video: hand lengths per frame above which a window is a sign",
                         default: .number(0.08)),
                FlagSpec("hands", .int, "hands the tracker looks for", default: .int(2), validate: FlagSpec.positive),
                FlagSpec("model-complexity", .choice(["full", "lite"]), "MediaPipe model complexity", default: .string("full")),
                FlagSpec("hand", .choice(HandSelection.allCases.map(\.rawValue)), "which hand when several are found",
                         default: .string(HandSelection.largest.rawValue)),
                FlagSpec("mirror-left", .bool, "mirror the signer's left hand (automatic for models trained on --mirror-left landmarks)"),
                LandmarkCommands.modelsFlag,
                FlagSpec("out", .path, "also write one JSON object per result line (.jsonl)"),
                PipelineCommands.shardFlag] + LandmarkCommands.recoveryFlags
    ) { call in
        guard let modelURL = call.url("model") else { throw call.failure("--model CHECKPOINT_OR_FILE is required") }
        let letter: ASLPredictor, sign: ASLPredictor?
        do {
            letter = try ASLPredictor(modelFile: modelURL)
            sign = try call.url("sign-model").map { try ASLPredictor(modelFile: $0) }
        } catch { throw call.failure("\(error)") }
        let source = call.string("source")!
        var run = PredictRun(call: call, letter: letter, sign: sign)
        // Without a commit (an error part-way), the results file is removed, not left half-written.
        defer { run.discard() }
        // `--shard I/N` over a folder: this shard's items only, its results in RESULTS.shard-I-of-N.jsonl.
        let sliced = try PredictCommands.shardedItems(source, call)
        if let out = call.url("out") {
            // Like every writer: folders created, written under a temporary name, renamed at the end.
            do { try run.openOutput(sliced?.run.manifestURL ?? out) } catch { throw call.failure("\(error)") }
        }
        if let sliced {
            do { try sliced.run.begin() } catch { throw call.failure("\(error)") }
            for item in sliced.items {
                if Cancellation.isRequested { run.stopped = true; break }
                try run.item(item)
            }
        } else
        // A network stream (http://, rtsp://, udp://, …): FFmpeg opens it; recognised as video.
        if let scheme = source.range(of: "://").map({ String(source[..<$0.lowerBound]) }), scheme != "file",
           let stream = URL(string: source) {
            try run.video(stream, name: source)
        } else {
            try PredictCommands.files(source, &run, call)
        }
        if run.stopped { call.session.print("stopped (Ctrl-C); \(run.rows.count) results so far") }
        let errors = run.rows.compactMap { row -> String? in
            if case .string(let message)? = row["error"] { return message }
            return nil
        }
        // The results file holds every row, the failed ones too: it is complete either way.
        do {
            try run.commitOutput()
            if !run.stopped { try sliced?.run.finish() }
        } catch { throw call.failure("\(error)") }
        // Every item failed: nothing was recognised, so the command fails (exit status 1 in a
        // script or `aslsh predict …`). Some failed: the run succeeds and says how many did not.
        if !run.stopped, !run.rows.isEmpty, errors.count == run.rows.count {
            throw call.failure(errors.count == 1 ? errors[0] : "all \(errors.count) items failed (first: \(errors[0]))")
        }
        if run.rows.count > 1 && !errors.isEmpty { call.session.print("\(errors.count) of \(run.rows.count) items failed; the others were predicted") }
        return .table(Table(records: run.rows))
    }

    /// With `--shard`: the folder's items this shard owns (by file, weighted by size) and the run
    /// that records them; nil without the flag.
    static func shardedItems(_ source: String, _ call: Invocation) throws -> (run: ShardRun, items: [URL])? {
        guard let shard = try PipelineCommands.shard(call) else { return nil }
        guard let out = call.url("out") else {
            throw call.failure("--shard needs --out: each shard writes its results as RESULTS.shard-I-of-N.jsonl for merge")
        }
        let url = Invocation.resolvePath(source)
        guard FileProblem.isFolder(url.path) else { throw call.failure("--shard slices a folder of items; \(source) is not a folder") }
        let items = try folderItems(url, source, call)
        let (run, indices) = ShardRun.select(files: items.map { (LandmarkCommands.relative($0.path), $0) }, input: url.path,
                                             shard: shard, stage: "predict", output: out)
        return (run, indices.map { items[$0] })
    }

    /// The items of a folder predict reads, in name order (numbers numerically).
    static func folderItems(_ url: URL, _ source: String, _ call: Invocation) throws -> [URL] {
        let items = ((try? FolderListing.entries(of: url)) ?? [])
            .filter { PredictRun.kind($0) != nil }
            .sorted { $0.lastPathComponent.compare($1.lastPathComponent, options: .numeric) == .orderedAscending }
        guard !items.isEmpty else { throw call.failure("\(source): no .npy, image or video files in the folder") }
        return items
    }

    /// A landmark file, image, video file, pipe (`-`) or folder of those.
    static func files(_ source: String, _ run: inout PredictRun, _ call: Invocation) throws {
        let url = source == "-" ? URL(fileURLWithPath: "/dev/stdin") : Invocation.resolvePath(source)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            if source.hasPrefix("/dev/video") { throw call.failure("\(source): no such camera device (no v4l2 device on this machine)") }
            throw call.failure("\(source): no such file or folder")
        }
        if isDirectory.boolValue {
            let items = try folderItems(url, source, call)
            for (i, item) in items.enumerated() {
                if Cancellation.isRequested { run.stopped = true; break }
                if items.count > 20 { call.session.print("\(i + 1)/\(items.count) \(item.lastPathComponent)", volatile: true) }
                try run.item(item)
            }
        } else {
            try run.item(url)
        }
    }
}

/// The state of one `predict` call: models, the hand tracker (made on first use), the result rows.
struct PredictRun {
    enum Kind { case landmarks, image, video }
    let call: Invocation
    let letter: ASLPredictor
    let sign: ASLPredictor?
    var rows: [Record] = []
    var out: FileHandle?
    /// `--out`: the destination and the temporary file the rows go to until the run ends.
    var outURL: URL?
    var outTemporary: URL?
    var stopped = false
    private var imageHands: HandLandmarkSource?
    private var videoHands: HandLandmarkSource?

    init(call: Invocation, letter: ASLPredictor, sign: ASLPredictor?) {
        self.call = call
        self.letter = letter
        self.sign = sign
    }

    var k: Int { call.int("top-k")! }

    static func kind(_ url: URL) -> Kind? {
        let name = url.lastPathComponent.lowercased()
        if name.hasSuffix(".mask.npy") { return nil }
        if name.hasSuffix(".npy") { return .landmarks }
        if ImageFiles.isImage(url) { return .image }
        let videoExtensions: Set<String> = ["mp4", "mov", "avi", "mkv", "webm", "m4v", "mpg", "mpeg", "ts", "flv", "wmv", "y4m"]
        if videoExtensions.contains(url.pathExtension.lowercased()) || url.path.hasPrefix("/dev/") { return .video }
        return nil
    }

    mutating func item(_ url: URL) throws {
        let name = url.path.hasPrefix("/dev/") ? url.path : LandmarkCommands.relative(url.path)
        switch Self.kind(url) ?? .video {
        case .landmarks: landmarkFile(url, name: name)
        case .image: try image(url, name: name)
        case .video: try video(url, name: name)
        }
    }

    // MARK: items

    mutating func landmarkFile(_ url: URL, name: String) {
        do {
            let array: NDArray
            // The item already names the file: only the array file's reason follows it.
            do { array = try NPY.read(contentsOf: url) } catch {
                throw InferenceError.badInput(item: name, reason: (error as? ArrayFileError)?.problem ?? "\(error)")
            }
            guard let tensor = array.tensor() else { throw InferenceError.badInput(item: name, reason: "not a float array (\(array.dtypeName))") }
            if tensor.rank == 4 {
                // A stack of clips [N, T, 21, 3]: one row each, in one batch.
                let (n, per) = (tensor.shape[0], tensor.shape.dropFirst().reduce(1, *))
                let samples = (0..<n).map { i in Tensor(shape: Array(tensor.shape.dropFirst()), scalars: Array(tensor.scalars[(i * per)..<((i + 1) * per)])) }
                for (i, top) in try letter.predictBatch(samples, k: k).enumerated() { emit(item: "\(name)[\(i)]", model: nil, scores: top) }
                return
            }
            let maskURL = url.deletingPathExtension().appendingPathExtension("mask.npy")
            var mask: [Bool]?
            if FileManager.default.fileExists(atPath: maskURL.path) {
                mask = (try? NPY.read(contentsOf: maskURL))?.integers()?.map { $0 != 0 }
                if mask == nil { throw InferenceError.badInput(item: LandmarkCommands.relative(maskURL.path), reason: "not a 0/1 mask") }
            }
            emit(item: name, model: nil, scores: try letter.predictTopK(tensor, mask: mask, k: k))
        } catch {
            fail(item: name, error)
        }
    }

    mutating func image(_ url: URL, name: String) throws {
        let hands = try tracker(staticImages: true)
        do {
            let picture: RGBImage
            do { picture = try ImageFiles.read(url) } catch {
                let reason = (error as? MediaError).map { e in
                    String(e.description.dropFirst(e.description.hasPrefix(e.file + ": ") ? e.file.count + 2 : 0))
                } ?? "\(error)"
                throw InferenceError.badInput(item: name, reason: "unreadable image: \(reason)")
            }
            let (scores, hand) = try letter.predictImageAndHand(picture, hands: hands, k: k, item: name)
            // With --recover every photo says where its hand came from (MediaPipe, or which attempt).
            var base = Record([(key: "item", value: .string(name))])
            if call.bool("recover") { base["hand"] = .string(Dataset.SampleMetadata.handSource(hand.recovery?.rawValue ?? "")) }
            emit(item: name, model: nil, scores: scores, base: base, prefix: hand.recovery.map { "\(name) [recovered: \($0.rawValue)]:" })
        } catch {
            fail(item: name, error)
        }
    }

    mutating func video(_ url: URL, name: String) throws {
        let hands = try tracker(staticImages: false)
        let sequenceT = sign?.modelInfo.sequenceLength ?? letter.modelInfo.sequenceLength
        let window = call.int("window") ?? (sequenceT > 1 ? sequenceT : 16)
        let stride = call.int("stride") ?? max(1, window / 2)
        let recognizer = SlidingWindowRecognizer(letterModel: letter, signModel: sign,
                                                 options: .init(window: window, stride: stride, motionThreshold: call.number("motion-threshold")!, topK: k))
        let session = call.session
        var lastProgress = 0
        do {
            try VideoRecognition.run(url, recognizer: recognizer, hands: hands, isCancelled: { [cancellation = Cancellation.current] in cancellation.isRequested },
                                     progress: { done, total in
                                         guard done - lastProgress >= 30 else { return }
                                         lastProgress = done
                                         session.print("\(name): frame \(done)\(total.map { "/\($0)" } ?? "")", volatile: true)
                                     }) { w in
                var record = Record([(key: "item", value: .string(name)), (key: "window", value: .int(w.index)),
                                     (key: "start", value: .number(w.start)), (key: "end", value: .number(w.end)),
                                     (key: "hand_frames", value: .int(w.handFrames)), (key: "motion", value: .number(w.motion))])
                let span = String(format: "[%7.2f–%7.2f s]", w.start, w.end)
                if let error = w.error {
                    record["model"] = .null
                    add(record, error: error, line: "\(span) \(error)")
                } else {
                    emit(item: name, model: w.model, scores: w.scores, base: record, prefix: "\(span) \(w.model!):")
                }
            }
            if Cancellation.isRequested { stopped = true }
        } catch {
            fail(item: name, error)
        }
    }

    // MARK: output

    /// Mirror the subject's left hands: asked for, or the model was trained on landmarks made
    /// with `--mirror-left` (its metadata says so), so it only ever saw right hands.
    var mirrorLeft: Bool {
        call.bool("mirror-left") || letter.metadata.preprocessing.mirrorLeft || sign?.metadata.preprocessing.mirrorLeft == true
    }

    /// The hand tracker, made on first use so landmark-only runs need no MediaPipe models. A model
    /// of both hands gets both (`--hand both`); pose points, the hand tracker cannot give.
    mutating func tracker(staticImages: Bool) throws -> HandLandmarkSource {
        if let existing = staticImages ? imageHands : videoHands { return existing }
        let layout = letter.input.layout
        if let sign, sign.input.layout != layout {
            throw call.failure("--model takes \(layout.explained) a frame, --sign-model \(sign.input.layout.explained): "
                               + "on photos and video both must take the same hands")
        }
        if layout.pose {
            throw call.failure("the model takes \(layout.explained) a frame; the hand tracker finds hands, not pose points: "
                               + "predict it on landmark files (import frame-npy --pose makes them)")
        }
        var selection = HandSelection(rawValue: call.string("hand")!)!
        if layout.hands == 2 { selection = .both }
        else if selection == .both { throw call.failure("--hand both: the model takes \(layout.explained) a frame") }
        var options = HandTrackerOptions()
        options.maxHands = layout.hands == 2 ? max(2, call.int("hands")!) : call.int("hands")!
        options.complexity = call.string("model-complexity") == "lite" ? .lite : .full
        options.recovery = LandmarkCommands.recoveryOptions(call)
        let source: HandLandmarkSource
        do {
            source = try HandLandmarkSource(options: options, staticImages: staticImages,
                                            modelDirectory: call.url("models"),
                                            hand: selection, mirrorLeft: mirrorLeft)
        } catch { throw call.failure("hand tracker: \(error)") }
        if staticImages { imageHands = source } else { videoHands = source }
        return source
    }

    mutating func emit(item: String, model: String?, scores: [ClassScore], base: Record? = nil, prefix: String? = nil) {
        var record = base ?? Record([(key: "item", value: .string(item))])
        if let model { record["model"] = .string(model) }
        record["label"] = .string(scores[0].label)
        record["confidence"] = .number(Double(scores[0].confidence))
        record["top"] = .string(scores.map { String(format: "%@ %.3f", $0.label, $0.confidence) }.joined(separator: ", "))
        record["error"] = .null
        let shown = scores.map { String(format: "%@ %.3f", $0.label, $0.confidence) }.joined(separator: "  ")
        add(record, error: nil, line: "\(prefix ?? item + ":")  \(shown)")
    }

    mutating func fail(item: String, _ error: Error) {
        let message = (error as? InferenceError)?.naming(item).description ?? "\(item): \(error)"
        add(Record([(key: "item", value: .string(item))]), error: message, line: message)
    }

    mutating func add(_ base: Record, error: String?, line: String) {
        var record = base
        if let error {
            for key in ["label", "confidence", "top"] where record[key] == nil { record[key] = .null }
            record["error"] = .string(error)
        }
        rows.append(record)
        call.session.print(line)
        if let out {
            var object: [String: Any] = [:]
            for (key, value) in record.entries {
                switch value {
                case .int(let i): object[key] = i
                case .number(let d): object[key] = d
                case .string(let s), .path(let s): object[key] = s
                default: object[key] = NSNull()
                }
            }
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                out.write(data + Data("\n".utf8))
            }
        }
    }

    /// Creates the results file's folders and its temporary sibling (`OutputFile`'s words on failure).
    mutating func openOutput(_ url: URL) throws {
        let temp = OutputFile.temporarySibling(of: url)
        try OutputFile.prepare(url, temporary: temp)
        guard FileManager.default.createFile(atPath: temp.path, contents: nil), let handle = try? FileHandle(forWritingTo: temp) else {
            throw FileProblem.writing(url.path, errno: EACCES)
        }
        out = handle
        outURL = url
        outTemporary = temp
    }

    /// Renames the finished results file into place.
    mutating func commitOutput() throws {
        guard let url = outURL, let temp = outTemporary else { return }
        try? out?.close()
        out = nil
        outTemporary = nil
        guard rename(temp.path, url.path) == 0 else {
            let problem = FileProblem.writing(url.path, errno: errno)
            unlink(temp.path)
            throw problem
        }
    }

    /// Closes and removes an uncommitted results file.
    func discard() {
        try? out?.close()
        if let temp = outTemporary { unlink(temp.path) }
    }
}
