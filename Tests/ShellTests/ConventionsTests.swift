import Foundation
import TestSupport
import XCTest
@testable import Shell

/// One set of CLI conventions over every command (docs/conventions-draft.md), checked against
/// every registered definition, so a new command or flag that breaks them fails here.
final class ConventionsTests: XCTestCase {
    private let definitions = Array(CommandRegistry.standardCommandSets.joined())

    /// Commands that write files: each names what it produces with `--out`.
    private static let writers: Set<String> = ["intake", "download", "trim", "synth", "import", "prepare-alphabet",
                                               "extract", "build", "train", "eval", "cv", "export", "predict", "plot", "merge", "convert"]
    /// Commands that write no file (directives included: `:save PATH` takes its file as the argument).
    private static let nonWriters: Set<String> = ["load", "print", "show", "echo", "sleep", "count-to", "where", "select",
                                                  "count", "sort", "top", "head", "tail", ":help", ":vars", ":history",
                                                  ":time", ":save", ":run", ":reset", ":seed", ":quit", ":nice", "env",
                                                  "jobs", "wait", "fg", "cancel",
                                                  // `write PATH`: like `:save`, its file is the argument.
                                                  "write"]
    /// Names the old scripts used; they may live on only as aliases.
    private static let retiredNames = ["output", "output-root", "output-manifest", "dataset-dir", "download-root",
                                       "trim-root", "raw-root", "max-hands", "checkpoint-dir", "report"]

    func testEveryCommandIsClassifiedAndEveryWriterHasOut() {
        for definition in definitions {
            let name = definition.name
            XCTAssertTrue(Self.writers.contains(name) != Self.nonWriters.contains(name),
                          "classify '\(name)' as a writer (it needs --out) or a non-writer in ConventionsTests")
            if Self.writers.contains(name) {
                let out = definition.flag(named: "out")
                XCTAssertNotNil(out, "'\(name)' writes files but has no --out")
                XCTAssertEqual(out?.type, .path, "'\(name)' --out takes a path")
            }
        }
    }

    func testRetiredNamesSurviveOnlyAsAliases() {
        for definition in definitions {
            for flag in definition.flags {
                XCTAssertFalse(Self.retiredNames.contains(flag.name),
                               "'\(definition.name)' --\(flag.name) is a retired name: make it an alias of the new flag")
            }
        }
    }

    func testOneNamePerConcept() {
        for definition in definitions {
            for flag in definition.flags {
                // MediaPipe complexity: full|lite.
                if flag.choices.map(Set.init) == ["full", "lite"] {
                    XCTAssertEqual(flag.name, "model-complexity", "'\(definition.name)': MediaPipe complexity is --model-complexity")
                }
                // Hands the tracker looks for.
                if flag.type == .int, flag.spellings.contains(where: { $0.contains("hands") }) {
                    XCTAssertEqual(flag.name, "hands", "'\(definition.name)': hands to look for is --hands")
                }
            }
            // Every command running the hand tracker takes the same three tracker flags.
            if definition.flag(named: "models") != nil {
                for needed in ["hands", "model-complexity"] {
                    XCTAssertNotNil(definition.flag(named: needed), "'\(definition.name)' runs MediaPipe but lacks --\(needed)")
                }
            }
        }
    }

    func testSpellingsAreUniqueAndCollideWithNothing() {
        for definition in definitions {
            let spellings = definition.flags.flatMap(\.spellings)
            XCTAssertEqual(Set(spellings).count, spellings.count, "'\(definition.name)': a flag spelling is used twice: \(spellings)")
            let shorts = definition.flags.compactMap(\.short)
            XCTAssertEqual(Set(shorts).count, shorts.count, "'\(definition.name)': a one-letter flag is used twice")
            for flag in definition.flags {
                XCTAssertFalse(flag.aliases.contains(flag.name), "'\(definition.name)' --\(flag.name) lists itself as an alias")
                // A flag spelled like a positional fills that positional (`eval --dataset X`), so
                // it must be the same thing; an alias never may.
                for alias in flag.aliases {
                    XCTAssertFalse(definition.arguments.contains { $0.name == alias },
                                   "'\(definition.name)': alias --\(alias) is also an argument name")
                }
                if let argument = definition.arguments.first(where: { $0.name == flag.name }) {
                    XCTAssertEqual(argument.type, flag.type,
                                   "'\(definition.name)': --\(flag.name) and argument \(flag.name.uppercased()) must be the same thing")
                }
            }
        }
    }

    func testEveryChoiceCompletesItsValues() throws {
        let completer = Completer(session: ShellHarness().session)
        for definition in definitions {
            for flag in definition.flags {
                guard let choices = flag.choices else { continue }
                for line in ["\(definition.name) --\(flag.name) ", "\(definition.name) --\(flag.name)="] {
                    XCTAssertEqual(completer.complete(line: line, cursor: line.count).candidates, choices.sorted(),
                                   "completion of '\(line)'")
                }
            }
            for (index, argument) in definition.arguments.enumerated() {
                guard case .choice(let options) = argument.type else { continue }
                let line = ([definition.name] + Array(repeating: "x", count: index)).joined(separator: " ") + " "
                XCTAssertEqual(completer.complete(line: line, cursor: line.count).candidates, options.sorted(),
                               "completion of '\(line)'")
            }
        }
    }

    /// Every page has an example, and its examples use each flag's current name (aliases are for
    /// old scripts, not for the help).
    func testEveryExampleUsesCurrentFlagNames() throws {
        let registry = CommandRegistry.standard
        for definition in definitions {
            let examples = definition.helpText.filter { $0.hasPrefix("example: ") }
            XCTAssertFalse(examples.isEmpty, "'\(definition.name)' help has no 'example:' line")
            for example in examples {
                for stage in example.dropFirst("example: ".count).split(whereSeparator: { $0 == ";" || $0 == "|" }) {
                    var words = stage.split(separator: " ").map(String.init)
                    if words.count > 1, words[1] == "=" { words.removeFirst(2) }
                    guard let command = words.first.flatMap({ registry[$0] }) else { continue }
                    for word in words where word.hasPrefix("--") {
                        let name = String(word.dropFirst(2).prefix { $0 != "=" })
                        XCTAssertNotNil(command.flag(named: name), "'\(definition.name)' example uses --\(name), not a current flag of '\(command.name)': \(example)")
                    }
                }
            }
        }
    }

    func testHelpListsAliasesAndListFlags() throws {
        let intake = CommandRegistry.standard["intake"]!.helpText.joined(separator: "\n")
        XCTAssertTrue(intake.contains("--out PATH") && intake.contains("(also --output)"), intake)
        let build = CommandRegistry.standard["build"]!.helpText.joined(separator: "\n")
        XCTAssertTrue(build.contains("--splits NUMBER NUMBER NUMBER"), build)
        XCTAssertTrue(build.contains("[default: 0.7 0.15 0.15]"), build)
        XCTAssertTrue(build.contains("(also --dataset-dir)"), build)
        let extract = CommandRegistry.standard["extract"]!.helpText.joined(separator: "\n")
        XCTAssertTrue(extract.contains("--model-complexity full|lite") && extract.contains("(also --model)"), extract)
        XCTAssertTrue(extract.contains("usage: extract INPUT"), extract)
    }
}

/// How the conventions behave: aliases, two spellings of one flag, list flags, zero split
/// fractions, result values as paths, choice completion.

/// Values compare by type and printed form (`Value` is not Equatable).
private func assertValue(_ actual: Value?, _ expected: Value?, _ message: @autoclosure () -> String = "",
                         file: StaticString = #filePath, line: UInt = #line) {
    func show(_ v: Value?) -> String { v.map { "\($0.typeName) \($0.inlineText)" } ?? "nil" }
    XCTAssertEqual(show(actual), show(expected), message(), file: file, line: line)
}

final class ConventionBehaviourTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try TestEnvironment.temporaryDirectory("aslsh-conventions")
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    private var d: String { directory.path }

    /// Binds a command call without running it.
    private func bind(_ text: String, in shell: ShellHarness = ShellHarness()) throws -> Invocation {
        guard case .pipeline(let pipeline) = try Parser.parse(text), case .command(let call) = pipeline.stages[0] else {
            throw XCTSkip("not a command: \(text)")
        }
        return try Binder(session: shell.session, row: nil).bind(call, to: shell.session.registry[call.name]!, input: nil)
    }

    /// A small synthetic manifest: 3 letters × 10 samples from 3 signers.
    private func synthManifest(_ shell: ShellHarness, _ name: String = "s") throws -> String {
        _ = try shell.output("synth --classes A B C --per-class 10 --signers 3 --seed 1 --out \(d)/\(name)")
        return "\(d)/\(name)/synth_manifest.json"
    }

    private func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    func testOldSpellingsBindToTheNewFlags() throws {
        let cases: [(String, String, String)] = [
            ("intake a.json --output m.json", "out", "m.json"),
            ("download m.json --output-manifest d.json", "out", "d.json"),
            ("download m.json --download-root v", "videos", "v"),
            ("trim m.json --output-manifest t.json", "out", "t.json"),
            ("trim m.json --trim-root c", "clips", "c"),
            ("trim m.json --raw-root v", "videos", "v"),
            ("extract m.json --output-root o", "out", "o"),
            ("extract m.json --output-manifest x.json", "manifest", "x.json"),
            ("prepare-alphabet p --output-root o", "out", "o"),
            ("build m.json --dataset-dir o", "out", "o"),
            ("train t.npz --checkpoint-dir o", "out", "o"),
            ("eval c.safetensors t.npz --report r.json", "out", "r.json"),
        ]
        for (text, flag, value) in cases {
            let call = try bind(text)
            assertValue(call[flag], .path(value), text)
            XCTAssertTrue(call.given.contains(flag), text)
        }
        assertValue(try bind("extract m.json --model lite")["model-complexity"], .string("lite"))
        assertValue(try bind("plot overlay x.jpg --max-hands 1")["hands"], .int(1))
        // The input positional of extract is not confused with --manifest.
        let extract = try bind("extract in.json --manifest /tmp/m.json")
        assertValue(extract["input"], .path("in.json"))
        assertValue(extract["manifest"], .path("/tmp/m.json"))
    }

    func testTwoSpellingsOfOneFlagAreAnErrorAndNothingIsWritten() throws {
        let shell = ShellHarness()
        let manifest = try synthManifest(shell)
        let error = shell.error("build \(manifest) --out \(d)/a --dataset-dir \(d)/b")
        XCTAssertEqual(error?.kind, .invalidArgument)
        XCTAssertEqual(error?.message, "'build': '--out' and '--dataset-dir' are two spellings of the same flag; give it once")
        XCTAssertEqual(error?.hint, "'--dataset-dir' is an old spelling of '--out'")
        XCTAssertFalse(exists("\(d)/a") || exists("\(d)/b"), "nothing built")
        // The same spelling twice keeps its own message.
        XCTAssertEqual(shell.error("build \(manifest) --out \(d)/a --out \(d)/b")?.message, "flag '--out' given twice")
        // Did-you-mean knows the new names and the old ones.
        XCTAssertEqual(shell.error("build \(manifest) --ot \(d)/a")?.hint, "did you mean '--out'?")
        XCTAssertEqual(shell.error("build \(manifest) --datset-dir \(d)/a")?.hint, "did you mean '--dataset-dir'?")
        XCTAssertEqual(shell.error("trim m.json --clips a --trim-root b")?.message,
                       "'trim': '--clips' and '--trim-root' are two spellings of the same flag; give it once")
    }

    func testSplitsTakeThreeWordsOrOneQuotedString() throws {
        let shell = ShellHarness()
        let manifest = try synthManifest(shell)
        let spaced = try shell.value("build \(manifest) --splits 0.6 0.2 0.2 --prefix w_ --out \(d)/ds")
        let quoted = try shell.value("build \(manifest) --splits '0.6 0.2 0.2' --prefix q_ --out \(d)/ds")
        let inline = try shell.value("build \(manifest) --splits=\"0.6 0.2 0.2\" --prefix i_ --out \(d)/ds")
        assertValue(spaced?.field("samples"), .list([.int(18), .int(6), .int(6)]))
        assertValue(quoted?.field("samples"), spaced?.field("samples"))
        assertValue(inline?.field("samples"), spaced?.field("samples"))
        // A variable holding the fractions works too.
        _ = try shell.output("f = [0.6, 0.2, 0.2]")
        assertValue(try shell.value("build \(manifest) --splits f --prefix v_ --out \(d)/ds")?.field("samples"),
                       spaced?.field("samples"))
        XCTAssertEqual(try shell.value("build \(manifest) --splits [0.6, 0.2, 0.2] --prefix l_ --out \(d)/ds")?.field("samples")?.inlineText,
                       spaced?.field("samples")?.inlineText)
        // The positional may come after the fractions.
        assertValue(try bind("build --splits 0.5 0.25 0.25 m.json")["manifest"], .path("m.json"))
    }

    func testWrongSplitCountsAndSumsNameTheFlagAndWriteNothing() throws {
        let shell = ShellHarness()
        let manifest = try synthManifest(shell)
        let out = "--out \(d)/none"
        let cases: [(String, String)] = [
            ("--splits 0.7 0.3", "'build': --splits takes exactly 3 values, got 2: 0.7 0.3"),
            ("--splits 0.5 0.2 0.2 0.1", "'build': --splits takes exactly 3 values, got 4: 0.5 0.2 0.2 0.1"),
            ("--splits '0.7 0.3'", "'build': --splits takes exactly 3 values, got 2: 0.7 0.3"),
            ("--splits 0.5 0.2 0.2", "'build': --splits fractions must sum to 1 (0.5 0.2 0.2 sum to 0.9)"),
            ("--splits 0 0 0", "'build': --splits needs at least one positive fraction (0 0 0)"),
            ("--splits '1.5 -0.25 -0.25'", "'build': --splits fractions must each be in [0, 1] (1.5 -0.25 -0.25)"),
        ]
        for (flags, message) in cases {
            let error = shell.error("build \(manifest) \(flags) \(out)")
            XCTAssertEqual(error?.message, message, flags)
            XCTAssertEqual(error?.hint, "give 3 values: --splits 0.7 0.15 0.15  or  --splits \"0.7 0.15 0.15\"", flags)
        }
        XCTAssertEqual(shell.error("build \(manifest) --splits 0.7 x 0.15 \(out)")?.message, "'build': --splits takes exactly 3 values, got 1: 0.7")
        XCTAssertFalse(exists("\(d)/none"), "a rejected build writes nothing")
        // Within 1e-6 of 1 is accepted.
        XCTAssertNoThrow(try shell.output("build \(manifest) --splits 0.3333333 0.3333333 0.3333334 --out \(d)/thirds"))
    }

    func testZeroFractionsMakeEmptySplits() throws {
        let shell = ShellHarness()
        let manifest = try synthManifest(shell)
        let testOnly = try shell.value("build \(manifest) --splits 0 0 1 --prefix t_ --out \(d)/ds")
        assertValue(testOnly?.field("samples"), .list([.int(0), .int(0), .int(30)]))
        let trainOnly = try shell.value("build \(manifest) --splits 1 0 0 --prefix r_ --out \(d)/ds")
        assertValue(trainOnly?.field("samples"), .list([.int(30), .int(0), .int(0)]))
        let valTest = try shell.value("build \(manifest) --splits 0 0.5 0.5 --prefix vt_ --out \(d)/ds")
        assertValue(valTest?.field("samples"), .list([.int(0), .int(15), .int(15)]))
        // Empty splits are written with 0 samples (so the three files are always one build's).
        for (prefix, split, count) in [("t_", "train", 0), ("t_", "test", 30), ("r_", "val", 0), ("r_", "train", 30)] {
            let labels = try shell.value("load \(d)/ds/\(prefix)\(split).npz")?.field("labels")
            assertValue(labels?.field("count"), .int(count), "\(prefix)\(split)")
        }
        // Group-disjoint works with a zero too.
        let grouped = try shell.value("build \(manifest) --splits 0 0 1 --group-by signer --prefix g_ --out \(d)/ds")
        assertValue(grouped?.field("samples"), .list([.int(0), .int(0), .int(30)]))
    }

    func testListFlagsTakeTheWordsUpToTheNextFlag() throws {
        let shell = ShellHarness()
        let spaced = try shell.value("synth --classes A B C --per-class 2 --out \(d)/abc")
        assertValue(spaced?.field("classes"), .int(3))
        let quoted = try shell.value("synth --classes 'A B' --per-class 2 --out \(d)/ab")
        assertValue(quoted?.field("classes"), .int(2))
        assertValue(try bind("synth --classes letters")["classes"], .list([.string("letters")]))
        assertValue(try bind("plot confusion m.npy --labels a b c --normalize")["labels"],
                       .list([.string("a"), .string("b"), .string("c")]))
        assertValue(try bind("plot confusion m.npy --labels 'a b' --normalize")["labels"], .list([.string("a"), .string("b")]))
        XCTAssertEqual(shell.error("synth --classes --out \(d)/x")?.message, "'synth': flag '--classes' needs a value (text)")
        // A list variable keeps names with spaces.
        _ = try shell.output("names = [\"sign language\", \"book\"]")
        assertValue(try bind("plot confusion m.npy --labels names", in: shell)["labels"],
                    .list([.string("sign language"), .string("book")]))
        assertValue(try bind("plot confusion m.npy --labels [\"sign language\", \"book\"]")["labels"],
                    .list([.string("sign language"), .string("book")]))
    }

    func testAResultValueStandsForItsPath() throws {
        let shell = ShellHarness()
        shell.session.setVariable("e", .record(Record([(key: "path", value: .path("models/x.onnx")), (key: "format", value: .string("onnx"))])))
        shell.session.setVariable("net", .record(Record([(key: "checkpoint", value: .path("ck/best.safetensors")),
                                                         (key: "last", value: .path("ck/last.safetensors"))])))
        shell.session.setVariable("r", .record(Record([(key: "accuracy", value: .number(0.5))])))
        assertValue(try bind("predict a.npy --model e", in: shell)["model"], .path("models/x.onnx"))
        assertValue(try bind("predict a.npy --model net", in: shell)["model"], .path("ck/best.safetensors"))
        assertValue(try bind("train d.npz --resume net.last", in: shell)["resume"], .path("ck/last.safetensors"))
        XCTAssertThrowsError(try bind("predict a.npy --model r", in: shell)) { error in
            XCTAssertEqual((error as? ShellError)?.message, "'--model' expects a path; the record has no path field (fields: accuracy)")
        }

        // End to end: a trained net, exported, predicted through the variables.
        let manifest = try synthManifest(shell)
        _ = try shell.output("b = build \(manifest) --static --out \(d)/ds --splits 1 0 0")
        _ = try shell.output("net = train b.files.train --epochs 1 --hidden-dim 8 --out \(d)/ck")
        _ = try shell.output("e = export onnx --checkpoint net --out \(d)/m.onnx")
        let sample = "\(d)/s/landmarks/synth_A_0000.npy"
        for model in ["e", "net"] {
            let rows = try shell.value("predict \(sample) --model \(model)")?.tableValue
            XCTAssertEqual(rows?.rows.count, 1, model)
            assertValue(rows?.column(named: "error")?.first, .null, model)
        }
    }

    func testChoiceValuesComplete() throws {
        let shell = ShellHarness()
        _ = try shell.output("lm = 1")
        let c = Completer(session: shell.session)
        func complete(_ line: String) -> [String] { c.complete(line: line, cursor: line.count).candidates }
        XCTAssertEqual(complete("train --architecture "), ["lstm", "mlp", "tcn", "transformer"])
        XCTAssertEqual(complete("train d.npz --architecture l"), ["lstm"])
        XCTAssertEqual(complete("net = train d.npz --epochs 3 --architecture=t"), ["tcn", "transformer"])
        XCTAssertEqual(complete("net = train d.npz --architecture=tr"), ["transformer"])
        XCTAssertEqual(complete("extract m.json --model "), ["full", "lite"], "old spelling completes too")
        XCTAssertEqual(complete("export "), ["onnx", "tflite"])
        XCTAssertEqual(complete("export onnx --architecture m"), ["mlp"])
        XCTAssertEqual(complete("plot h"), ["hand", "hist"])
        XCTAssertEqual(complete("plot --out x.png c"), ["confusion", "curves"], "flag values are not positionals")
        XCTAssertEqual(complete("export --q"), ["--quantize"], "flags still complete")
        XCTAssertEqual(complete("train --val l"), ["lm"], "a path flag completes variables and files, not choices")
        XCTAssertEqual(complete("export onnx l"), ["lm"], "past the choice argument")
    }

    /// `--manifest /abs/path` elsewhere: the manifest lands there with landmark paths relative to
    /// its own folder, and `build` reads it.
    func testAnAbsoluteManifestPathElsewhereBuilds() throws {
        let shell = ShellHarness()
        let result = try shell.value("synth --classes A B C --per-class 10 --signers 3 --seed 1 --out \(d)/data --manifest \(d)/elsewhere/m.json")
        assertValue(result?.field("manifest"), .path("\(d)/elsewhere/m.json"))
        XCTAssertTrue(exists("\(d)/elsewhere/m.json"))
        XCTAssertFalse(exists("\(d)/data/elsewhere"), "not joined under --out")
        XCTAssertTrue(exists("\(d)/data/landmarks/synth_A_0000.npy"))
        let text = try String(contentsOfFile: "\(d)/elsewhere/m.json", encoding: .utf8)
        XCTAssertTrue(text.contains("\"landmarks\" : \"../data/landmarks/synth_A_0000.npy\""), String(text.prefix(600)))
        let built = try shell.value("build \(d)/elsewhere/m.json --static --out \(d)/ds")
        assertValue(built?.field("samples"), .list([.int(18), .int(6), .int(6)]))
        // A relative name still lands inside --out (as before), in a subfolder too.
        _ = try shell.output("synth --classes A B --per-class 4 --out \(d)/rel --manifest sub/m.json")
        XCTAssertTrue(exists("\(d)/rel/sub/m.json"))
        XCTAssertNoThrow(try shell.output("build \(d)/rel/sub/m.json --static --splits 1 0 0 --out \(d)/ds2"))
    }

    /// The same with the MediaPipe writer: prepare-alphabet on a few real photos (needs ../shared
    /// and the MediaPipe models).
    func testPrepareAlphabetWithAnAbsoluteManifestBuilds() throws {
        guard let root = TestEnvironment.sharedPath("realdata/asl_alphabet_photos_224/test"),
              TestEnvironment.mediapipeModel("palm_detection_full") != nil else {
            throw XCTSkip("needs ../shared/realdata and models/mediapipe")
        }
        let photos = directory.appendingPathComponent("photos")
        for cls in ["A", "Y"] {
            try FileManager.default.createDirectory(at: photos.appendingPathComponent(cls), withIntermediateDirectories: true)
            let files = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(cls).path).sorted().prefix(4)
            for file in files {
                try FileManager.default.createSymbolicLink(at: photos.appendingPathComponent("\(cls)/\(file)"),
                                                           withDestinationURL: root.appendingPathComponent("\(cls)/\(file)"))
            }
        }
        let shell = ShellHarness()
        let lines = try shell.output("a = prepare-alphabet \(photos.path) --out \(d)/alpha --manifest \(d)/elsewhere/m.json --hands 1 --model-complexity full --quiet")
        XCTAssertTrue(lines.contains("→ \(d)/elsewhere/m.json"), lines)
        XCTAssertFalse(lines.contains("alpha/elsewhere"), lines)
        let clips = try shell.value("a.clips")
        guard case .int(let n)? = clips, n >= 2 else { return XCTFail("no hands found: \(lines)") }
        let built = try shell.value("build \(d)/elsewhere/m.json --static --splits 1 0 0 --out \(d)/ds")
        assertValue(built?.field("samples"), .list([.int(n), .int(0), .int(0)]))
    }
}
