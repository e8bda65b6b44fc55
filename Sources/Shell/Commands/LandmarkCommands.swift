import Datasets
import Foundation
import HandSynthesis
import Hands
import JobControl
import LandmarkExtraction
import Pipeline

/// The landmark stages: `synth`, `import`, `prepare-alphabet`, `extract` (all writing the
/// landmark manifest + `.npy` layout) and `build` (landmark manifest → train/val/test `.npz`).
public enum LandmarkCommands {
    public static var all: [CommandDefinition] { [synth, importCommand, prepareAlphabet, extract, build] }

    /// Paths in printed text as the user gave them — absolute stays absolute, relative stays
    /// relative — and others relative to the working directory (`PathDisplay`), so a saved
    /// session replays (and `--check`s) the same from any folder.
    static func relative(_ text: String) -> String { PathDisplay.display(text) }

    /// Turns an importer/extractor summary into a record value and prints its report. When
    /// there were inputs but every one was skipped (no clip written), the command fails after the
    /// report: a run that produced nothing exits non-zero. Some skipped: the report counts them.
    static func report(_ summary: ImportSummary, _ call: Invocation) throws -> Value {
        for line in summary.text.splitLines() where call.definition.flag(named: "verbose") == nil
            || call.bool("verbose") || !line.hasPrefix("warning: ") {
            call.session.print(relative(line))
        }
        if call.definition.flag(named: "verbose") != nil, !call.bool("verbose"), !summary.warnings.isEmpty {
            call.session.print("\(summary.warnings.count) warnings (--verbose lists them)")
        }
        let skippedCount = summary.skipped.values.reduce(0, +)
        if summary.clipCount == 0, skippedCount > 0 {
            let reasons = summary.skipped.sorted(by: { $0.key < $1.key }).map { "\($0.key): \($0.value)" }.joined(separator: ", ")
            throw call.failure("no clips written: all \(skippedCount) inputs failed (\(reasons))"
                               + (summary.warnings.first.map { "; first: \(relative($0))" } ?? ""))
        }
        var skipped = Record()
        for (reason, count) in summary.skipped.sorted(by: { $0.key < $1.key }) { skipped[reason] = .int(count) }
        return .record(Record([
            (key: "manifest", value: .path(relative(summary.manifestURL.path))),
            (key: "clips", value: .int(summary.clipCount)),
            (key: "classes", value: .int(summary.clipsPerLabel.count)),
            (key: "skipped", value: .record(skipped)),
        ]))
    }

    /// Progress bar + Ctrl-C for a library job reporting (done, total, item).
    static func hooks(_ label: String, unit: String, quiet: Bool) -> (JobHooks, () -> Void) {
        var reporter: ProgressReporter?
        var reported = 0
        // Taken here, on the command's thread: workers calling back do not see its job binding.
        let output = ProgressReporter.Output.display(quiet: quiet), cancellation = Cancellation.current
        let hooks = JobHooks(progress: { done, total, _ in
            if reporter == nil { reporter = ProgressReporter(label: label, total: total, unit: unit, output: output) }
            if done > reported { try? reporter?.advance(by: done - reported); reported = done }
        }, isCancelled: { cancellation.isRequested })
        return (hooks, { reporter?.finish() })
    }

    /// `--models`, shared by every command that runs MediaPipe; its text is the search order
    /// (`MediaPipeModelSearch`) so `:help` answers "where does it look?".
    static let modelsFlag = FlagSpec("models", .path, "folder with MediaPipe's .tflite files; without it the first of "
                                     + "$ASLSH_MODELS/mediapipe, ./models/mediapipe, <aslsh's folder>/../share/aslsh/models/mediapipe "
                                     + "(make install), the build checkout's models/mediapipe")

    /// `--manifest PATH`, shared by every command writing a landmark manifest (beside `--out DIR`).
    static func manifestFlag(_ defaultName: String) -> FlagSpec {
        FlagSpec("manifest", .path, "the landmark manifest to write: a file name or relative path is inside --out DIR, "
                 + "an absolute (or ~) path is used as is; its landmark paths are relative to its own folder "
                 + "[default: \(defaultName) in --out DIR]", aliases: ["output-manifest"])
    }

    static let trackerFlags: [FlagSpec] = [
        FlagSpec("hands", .int, "hands the tracker looks for (MediaPipe's max_num_hands)", default: .int(2), validate: FlagSpec.positive),
        FlagSpec("model-complexity", .choice(["full", "lite"]), "MediaPipe model complexity (--model is the old spelling)",
                 default: .string("full"), aliases: ["model"]),
        FlagSpec("min-detection-confidence", .number, "palm detector score threshold", default: .number(0.5)),
        FlagSpec("min-tracking-confidence", .number, "hand-presence gate", default: .number(0.5)),
        FlagSpec("hand", .choice(HandSelection.allCases.map(\.rawValue)), "which hand to keep when several are found",
                 default: .string(HandSelection.largest.rawValue)),
        FlagSpec("mirror-left", .bool, "mirror the signer's left hands to right hands (handedness kept in metadata)"),
        modelsFlag,
    ] + recoveryFlags + [
        FlagSpec("resume", .bool, "keep clips finished by an interrupted run"),
        FlagSpec("dry-run", .bool, "list what would be processed, write nothing"),
        FlagSpec("sample", .int, "process only the first N inputs", validate: FlagSpec.positive),
        FlagSpec("verbose", short: "v", .bool, "print every warning and the detection-failure log"),
        FlagSpec("quiet", short: "q", .bool, "no progress display"),
    ]

    /// Recovery of the hands MediaPipe misses (`HandRecoveryOptions`), shared by prepare-alphabet,
    /// extract and predict. Off by default: the output stays exactly MediaPipe's.
    static let recoveryFlags: [FlagSpec] = {
        let defaults = HandRecoveryOptions()
        func open01(_ value: Value) -> String? {
            let x = value.numberValue ?? -1
            return x > 0 && x < 1 ? nil : "must be between 0 and 1 (exclusive)"
        }
        return [
            FlagSpec("recover", .bool, "when MediaPipe finds no hand, look again (lower palm threshold, mirrored, zoomed out, "
                     + "turned, upscaled, whole image) and keep a hand only if the landmark model's presence passes "
                     + "--recover-min-presence; recorded per sample (off: MediaPipe-exact)"),
            FlagSpec("recover-min-presence", .number, "presence score a recovered hand needs on the original image",
                     default: .number(defaults.minPresence), validate: open01),
            FlagSpec("recover-min-detection-confidence", .number, "palm detector threshold of the recovery attempts",
                     default: .number(defaults.minDetectionConfidence), validate: open01),
            FlagSpec("recover-attempts", .choice(HandRecoveryOptions.Attempt.allCases.map(\.rawValue)),
                     "the recovery attempts, tried in the order given",
                     default: .list(defaults.attempts.map { .string($0.rawValue) }), values: .oneOrMore),
        ]
    }()

    /// The recovery options the flags ask for; nil without `--recover`.
    static func recoveryOptions(_ call: Invocation) -> HandRecoveryOptions? {
        guard call.bool("recover") else { return nil }
        var options = HandRecoveryOptions()
        options.minPresence = call.number("recover-min-presence")!
        options.minDetectionConfidence = call.number("recover-min-detection-confidence")!
        options.attempts = call.list("recover-attempts").compactMap { $0.textValue.flatMap(HandRecoveryOptions.Attempt.init) }
        return options
    }

    /// `--manifest PATH` as the writer takes it: an absolute (or `~`) path is used as is; a file
    /// name or relative path stays relative, so it lands inside --out DIR as before.
    static func manifestPath(_ call: Invocation, default name: String) -> String {
        guard let given = call.string("manifest") else { return name }
        return given.hasPrefix("/") || given.hasPrefix("~") ? Invocation.resolvePath(given).path : given
    }

    /// `--hand both` needs the tracker to look for two hands, and has no single hand to mirror.
    static func checkHandChoice(_ call: Invocation) throws {
        guard call.string("hand") == HandSelection.both.rawValue else { return }
        if call.bool("mirror-left") {
            throw call.failure("--mirror-left and --hand both: with both hands kept there is no single hand to mirror "
                               + "(train with --augment-mirror, which swaps the hands as it mirrors)")
        }
        if let hands = call.int("hands"), hands < 2 { throw call.failure("--hand both needs --hands 2 or more (got --hands \(hands))") }
    }

    static func extractionOptions(_ call: Invocation) throws -> ExtractionOptions {
        try checkHandChoice(call)
        var options = ExtractionOptions()
        options.tracker.maxHands = call.int("hands")!
        options.tracker.complexity = call.string("model-complexity") == "lite" ? .lite : .full
        options.tracker.minDetectionConfidence = call.number("min-detection-confidence")!
        options.tracker.minTrackingConfidence = call.number("min-tracking-confidence")!
        options.hand = HandSelection(rawValue: call.string("hand")!)!
        options.mirrorLeft = call.bool("mirror-left")
        options.tracker.recovery = recoveryOptions(call)
        if let models = call.url("models") { options.modelDirectory = models }
        options.resume = call.bool("resume")
        options.dryRun = call.bool("dry-run")
        options.sample = call.int("sample")
        return options
    }

    static let synth = CommandDefinition(
        "synth", summary: "generate synthetic hand landmarks (letters and moving signs) for demos and tests",
        discussion: """
        A procedural kinematic hand posed into letter handshapes and moving signs, with seeded
        signer-like variation, written in the same layout as `extract`. Synthetic — not real signing.
        --classes takes names (A B … hello yes …), `letters`, `signs`, or a count N.
        example: s = synth --classes A B C --per-class 20 --out data/synth/abc
        example: s = synth --classes letters --per-class 40 --seed 1 --out data/synth/letters
        """,
        flags: [FlagSpec("classes", .string, "class names, `letters`, `signs` or a count", default: .list([.string("letters")]),
                         values: .oneOrMore),
                FlagSpec("per-class", .int, "samples per class", default: .int(40), validate: FlagSpec.positive),
                FlagSpec("sequence-length", .int, "frames per sample (1 = static)", default: .int(1), validate: FlagSpec.positive),
                FlagSpec("signers", .int, "distinct synthetic signers", default: .int(6), validate: FlagSpec.positive),
                FlagSpec("seed", .int, "random seed", default: .int(0)),
                FlagSpec("out", .path, "output folder (landmarks/ and the manifest)", default: .path("data/synth")),
                manifestFlag("synth_manifest.json")]
    ) { call in
        let classes = call.list("classes").compactMap(\.textValue)
        var options = SynthesisOptions(classes: classes, perClass: call.int("per-class")!,
                                       sequenceLength: call.int("sequence-length")!, seed: UInt64(max(0, call.int("seed")!)))
        options.signers = call.int("signers")!
        do {
            return try report(HandSynthesizer.write(options, to: call.url("out")!,
                                                    manifestName: manifestPath(call, default: "synth_manifest.json")), call)
        } catch let error as SynthesisError {
            throw call.failure(error.description)
        }
    }

    static let importCommand = CommandDefinition(
        "import", summary: "convert existing landmark files to aslsh's landmark manifest",
        discussion: """
        formats: keypoint-csv (hand-gesture-recognition-mediapipe keypoint.csv, with --labels),
        frame-npy (<sign>/<sequence>/<frame>.npy, or <signer>/<sign>/<sequence>/ with --signer-from folder;
        each frame a MediaPipe Holistic vector of 1662 values, pose + hands 258, both hands 126 or one hand 63,
        told apart by length), clip-npy (folder of [T,21,3] arrays, or [T,42,3] both hands).
        frame-npy keeps one hand (--hand), or both (--hand both: 42 points a frame, left then right), and with
        --pose 7 upper-body pose points after them (nose, shoulders, elbows, wrists; holistic and pose-hands frames).
        example: import keypoint-csv keypoint.csv --labels keypoint_classifier_label.csv --out data/processed/kp
        example: import frame-npy MP_Data --signer-from folder --out data/processed/signers
        example: import frame-npy MP_Data --hand both --pose --out data/processed/holistic
        """,
        arguments: [ArgumentSpec("format", .choice(["keypoint-csv", "frame-npy", "clip-npy"]), "input format"),
                    ArgumentSpec("path", .path, "the CSV file or the folder")],
        flags: [FlagSpec("labels", .path, "label CSV (keypoint-csv) or label-per-clip CSV (clip-npy)"),
                FlagSpec("out", .path, "output folder (landmarks/ and the manifest)", default: .path("data/processed/imported")),
                manifestFlag("manifest.json"),
                FlagSpec("hand", .choice(FrameSequenceImporter.Hand.allCases.map(\.rawValue)),
                         "frame-npy: which of the two hands to keep, or both", default: .string("most-detected")),
                FlagSpec("pose", .bool, "frame-npy: also keep 7 upper-body pose points (holistic and pose-hands frames)"),
                FlagSpec("layout", .choice(FrameSequenceImporter.Layout.allCases.map(\.rawValue)),
                         "frame-npy: the frames' layout (default: told from their length)"),
                FlagSpec("mirror-left", .bool, "frame-npy: mirror a kept left hand into a right hand (as extract --mirror-left)"),
                FlagSpec("signer", .string, "signer id to record for every clip"),
                FlagSpec("signer-from", .string,
                         "frame-npy: 'folder' (one folder per signer above the sign folders) or a regular expression whose first group, matched against SIGN/SEQUENCE, names the signer"),
                FlagSpec("fps", .number, "frame rate to record")]
    ) { call in
        let path = call.url("path")!, out = call.url("out")!
        let manifest = manifestPath(call, default: "manifest.json")
        do {
            switch call.string("format")! {
            case "keypoint-csv":
                return try report(KeypointCSVImporter.run(keypoints: path, labels: call.url("labels"), to: out,
                                                          manifestName: manifest, signer: call.string("signer")), call)
            case "frame-npy":
                let signerFrom = call.string("signer-from").map {
                    $0 == "folder" ? FrameSequenceImporter.SignerSource.folder : .pattern($0)
                }
                var options = FrameSequenceImporter.Options(hand: FrameSequenceImporter.Hand(rawValue: call.string("hand")!)!,
                                                            layout: call.string("layout").flatMap(FrameSequenceImporter.Layout.init),
                                                            signer: call.string("signer"), signerFrom: signerFrom,
                                                            mirrorLeft: call.bool("mirror-left"), pose: call.bool("pose"),
                                                            fps: call.number("fps"))
                options.manifestName = manifest
                return try report(FrameSequenceImporter.run(root: path, to: out, options: options), call)
            default:
                var options = ClipArrayImporter.Options(labelCSV: call.url("labels"), fps: call.number("fps"))
                options.manifestName = manifest
                return try report(ClipArrayImporter.run(root: path, to: out, options: options), call)
            }
        } catch let error as DatasetError {
            throw call.failure("\(error)")
        }
    }

    static let prepareAlphabet = CommandDefinition(
        "prepare-alphabet", summary: "letter photos → hand landmarks (MediaPipe-exact, static mode)",
        discussion: """
        Photos as PHOTOS/<Class>/*.jpg|png (the class is the folder name) or flat <class>_*.jpg.
        Photos with no hand are counted, not fatal.
        example: a = prepare-alphabet data/raw/asl_alphabet/test --out data/processed/alphabet --hands 1
        """,
        arguments: [ArgumentSpec("photos", .path, "folder of letter photos (INPUT_DIR)")],
        flags: [FlagSpec("out", .path, "output folder (landmarks/ and the manifest)", default: .path("data/processed/alphabet"),
                         aliases: ["output-root"]),
                manifestFlag("alphabet_manifest.json"), PipelineCommands.shardFlag] + trackerFlags
    ) { call in
        try checkHandChoice(call)
        let shard = try PipelineCommands.shard(call)
        return try runTracking(call, label: "prepare-alphabet", unit: "photos") { hooks in
            try AlphabetPreparation.run(photoRoot: call.url("photos")!, outputDirectory: call.url("out")!,
                                        manifestName: manifestPath(call, default: "alphabet_manifest.json"),
                                        options: try extractionOptions(call), hooks: hooks, shard: shard)
        }
    }

    /// Runs a tracking job with a progress bar and Ctrl-C; a cancelled run (whose finished part
    /// is already saved for --resume) becomes the shell's cancellation.
    static func runTracking(_ call: Invocation, label: String, unit: String,
                            _ body: (JobHooks) throws -> ImportSummary) throws -> Value {
        let (hooks, done) = hooks(label, unit: unit, quiet: call.bool("quiet"))
        defer { done() }
        do {
            return try report(body(hooks), call)
        } catch let error as ExtractionError {
            if case .cancelled = error { throw CancelledError() }
            throw call.failure(error.description)
        } catch let error as HandsError {
            throw call.failure(error.description)
        } catch let error as PipelineError {
            throw call.failure(error.description)
        }
    }

    static let extract = CommandDefinition(
        "extract", summary: "video clips → per-frame hand landmarks (MediaPipe-exact video-mode tracking)",
        discussion: """
        Reads a trim (or download) manifest; trimmed clips are extracted whole, downloaded videos
        over [start_time, end_time]. A corrupt or missing video fails that clip; the run goes on.
        example: lm = extract data/processed/manifest_trimmed.json --out data/processed/landmarks --sequence-length 32 --model-complexity lite
        """,
        // The input is `INPUT`, not `MANIFEST`: `--manifest` names the manifest extract writes.
        arguments: [ArgumentSpec("input", .path, "the clips: manifest_trimmed.json or manifest_downloaded.json")],
        flags: [FlagSpec("out", .path, "output folder (landmarks/, the manifest, extract_log.txt)",
                         default: .path("data/processed/landmarks"), aliases: ["output-root"]),
                FlagSpec("sequence-length", .int, "pad (masked) or truncate every clip to T frames", validate: FlagSpec.positive),
                FlagSpec("frame-skip", .int, "track every Nth frame", default: .int(1), validate: FlagSpec.positive),
                FlagSpec("workers", .int, "clips tracked at once, one core each (fewer clips: the spare cores run each clip's models)", default: .int(2), validate: FlagSpec.positive),
                manifestFlag("landmarks_manifest.json"), PipelineCommands.shardFlag]
            + trackerFlags
    ) { call in
        try checkHandChoice(call)
        let shard = try PipelineCommands.shard(call)
        let manifestName = manifestPath(call, default: "landmarks_manifest.json")
        let output = manifestName.hasPrefix("/") ? URL(fileURLWithPath: manifestName) : call.url("out")!.appendingPathComponent(manifestName)
        let (inputs, skipped, shardRun): ([ClipExtraction.Input], [String: Int], ShardRun?)
        do { (inputs, skipped, shardRun) = try ClipExtraction.inputs(fromPipelineManifest: call.url("input")!, shard: shard, output: output) } catch {
            throw call.failure("\(error)")
        }
        for (reason, count) in skipped.sorted(by: { $0.key < $1.key }) { call.session.print("not extracted (\(reason)): \(count)") }
        return try runTracking(call, label: "extract", unit: "clips") { hooks in
            var options = try extractionOptions(call)
            options.sequenceLength = call.int("sequence-length")
            options.frameSkip = call.int("frame-skip")!
            options.workers = call.int("workers")!
            return try ClipExtraction.run(inputs: inputs, outputDirectory: call.url("out")!, manifestName: manifestName,
                                          options: options, hooks: hooks, shardRun: shardRun)
        }
    }

    static let build = CommandDefinition(
        "build", summary: "landmark manifest → <prefix>train/val/test.npz datasets",
        discussion: """
        Stratified, seeded splits; --group-by signer makes them signer-disjoint (the honest number);
        --use-source-split keeps MS-ASL/WLASL's official splits.
        example: build data/synth/letters/synth_manifest.json --static --prefix letters_ --out data/processed/datasets --splits 0.7 0.15 0.15
        """,
        arguments: [ArgumentSpec("manifest", .path, "landmark manifest")],
        flags: [FlagSpec("static", .bool, "one frame per sample (T = 1): letters"),
                FlagSpec("prefix", .string, "output file name prefix", default: .string("")),
                FlagSpec("out", .path, "output folder for <prefix>train/val/test.npz", default: .path("data/processed/datasets"),
                         aliases: ["dataset-dir"]),
                FlagSpec("splits", .number, "train val test fractions, each in [0, 1], summing to 1; a 0 makes that split "
                         + "empty (its .npz is still written, with 0 samples)",
                         default: .list([.number(0.7), .number(0.15), .number(0.15)]), values: .exactly(3),
                         validate: FlagSpec.fractions),
                FlagSpec("seed", .int, "split seed", default: .int(42)),
                FlagSpec("max-samples", .int, "at most N samples per class", validate: FlagSpec.positive),
                FlagSpec("group-by", .choice(BuildOptions.GroupBy.allCases.map(\.rawValue)), "keep groups within one split"),
                FlagSpec("use-source-split", .bool, "use the records' own split"),
                FlagSpec("min-detection-rate", .number, "drop clips with fewer detected frames", default: .number(0)),
                FlagSpec("dominant-right", .bool, "both-hand clips: mirror each clip whose left hand is seen more than its right "
                         + "(hands swapped), so the dominant hand is always the right one; predict does the same"),
                FlagSpec("fill-gaps", .int, "interpolate the landmarks across detection gaps of at most N frames (0 = off)",
                         default: .int(0), validate: FlagSpec.nonNegative),
                FlagSpec("sequence-length", .int, "frames per sample: longer clips are sampled, shorter ones padded (masked); without it every clip must have the same length", validate: FlagSpec.positive),
                FlagSpec("compressed", .bool, "write deflated .npz (np.savez_compressed)"),
                FlagSpec("resume", .bool, "after an interrupted build: the same as without it (a build is quick and "
                         + "always starts anew; its three files are replaced together, never mixed with an older build's)"),
                FlagSpec("verbose", short: "v", .bool, "list every dropped sample")]
    ) { call in
        var options = BuildOptions(manifest: call.url("manifest")!)
        options.staticFrames = call.bool("static")
        options.prefix = call.string("prefix")!
        options.datasetDirectory = call.url("out")
        options.splits = call.list("splits").compactMap(\.numberValue)   // the binder checked: 3 fractions summing to 1
        options.seed = UInt64(max(0, call.int("seed")!))
        options.maxSamplesPerClass = call.int("max-samples")
        options.groupBy = call.string("group-by").flatMap(BuildOptions.GroupBy.init(rawValue:))
        options.useSourceSplit = call.bool("use-source-split")
        options.minDetectionRate = call.number("min-detection-rate")!
        options.fillGaps = call.int("fill-gaps")!
        options.dominantRight = call.bool("dominant-right")
        options.sequenceLength = call.int("sequence-length")
        options.compressed = call.bool("compressed")
        options.verbose = call.bool("verbose")
        let summary: BuildSummary
        do { summary = try DatasetBuilder.build(options) { call.session.print(relative($0)) } } catch {
            throw call.failure("\(error)")
        }
        for line in summary.text.splitLines() { call.session.print(relative(line)) }
        let names = ["train", "val", "test"]
        var files = Record()
        for (name, url) in zip(names, summary.outputs) { files[name] = .path(relative(url.path)) }
        return .record(Record([(key: "files", value: .record(files)),
                               (key: "classes", value: .int(summary.labelNames.count)),
                               (key: "samples", value: .list(summary.sampleCounts.map { .int($0) })),
                               (key: "sequence_length", value: .int(summary.sequenceLength)),
                               (key: "dropped", value: .int(summary.droppedCount))]))
    }
}
