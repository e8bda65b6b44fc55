import XCTest
import Datasets
import Shell
import TensorCore
import TestSupport
@testable import Training

/// `train` and `eval` through the shell: every new flag reaches the trainer, `--resume` continues
/// from the command line, `--tensorboard` and `--report` write their files, and the result records
/// expose the documented fields.
final class TrainingCommandTests: XCTestCase {
    var directory: URL!
    var session: Session!
    var errors: [String] = []

    override func setUpWithError() throws {
        directory = try TestEnvironment.temporaryDirectory("training-commands")
        session = Session(outputSink: { _ in }, errorSink: { [unowned self] in errors.append($0) })
        try Fixtures.sequences(n: 30, T: 4, classes: 3, seed: 1).write(to: directory.appendingPathComponent("train.npz"))
        try Fixtures.sequences(n: 12, T: 4, classes: 3, seed: 2).write(to: directory.appendingPathComponent("val.npz"))
        // The test set lists the classes in another order (matched by name).
        var test = Fixtures.sequences(n: 12, T: 4, classes: 3, seed: 3)
        test.labels = test.labels.map { [2, 0, 1][$0] }
        test.labelNames = ["class1", "class2", "class0"]
        try test.write(to: directory.appendingPathComponent("test.npz"))
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func run(_ cell: String) throws -> (value: Value?, lines: [String]) {
        let outcome = session.execute(CellSource(text: cell))
        if let error = outcome.error { throw error }
        return (outcome.value, outcome.output.map(\.text))
    }

    func testTrainResumeTensorBoardAndEvalReportFromTheShell() throws {
        let d = directory.path
        let flags = "--val \(d)/val.npz --architecture tcn --hidden-dim 8 --layers 2 --batch-size 8 --optimizer adamw --weight-decay 0.01 "
            + "--scheduler cosine --warmup 1 --label-smoothing 0.1 --class-weights balanced --augment-mirror --augment-rotate 5 "
            + "--augment-scale 0.1 --augment-jitter 0.01 --augment-time-stretch 0.1 --augment-frame-dropout 0.1 --seed 3 "
            + "--checkpoint-dir \(d)/ck --tensorboard --run-name demo"
        let (first, firstLines) = try run("net = train \(d)/train.npz --epochs 2 \(flags)")
        XCTAssertEqual(first?.field("epochs")?.numberValue, 2)
        XCTAssertTrue(firstLines.contains { $0.hasPrefix("epoch  train_loss") }, "\(firstLines)")
        let (resumed, lines) = try run("net = train \(d)/train.npz --epochs 4 \(flags) --resume \(d)/ck/tcn_last.safetensors")
        XCTAssertTrue(lines[0].hasPrefix("resuming tcn_last.safetensors after epoch 2"), "\(lines)")
        XCTAssertEqual(resumed?.field("epochs")?.numberValue, 4)
        let checkpoint = try XCTUnwrap(resumed?.field("checkpoint")?.textValue)
        XCTAssertTrue(URL(fileURLWithPath: checkpoint).lastPathComponent.hasPrefix("tcn_epoch"), checkpoint)
        let events = try FileManager.default.contentsOfDirectory(atPath: "\(d)/ck/runs/demo")
        XCTAssertEqual(events.count, 2, "one event file per invocation in the same run folder: \(events)")
        // The resumed run equals an uninterrupted 4-epoch run with the same flags.
        let whole = flags.replacingOccurrences(of: "\(d)/ck", with: "\(d)/whole")
        _ = try run("w = train \(d)/train.npz --epochs 4 \(whole)")
        let a = try String(contentsOfFile: "\(d)/ck/tcn_metrics.jsonl", encoding: .utf8)
        let b = try String(contentsOfFile: "\(d)/whole/tcn_metrics.jsonl", encoding: .utf8)
        func stripTimes(_ s: String) -> String { s.replacingOccurrences(of: #""seconds":[0-9.e-]+"#, with: "", options: .regularExpression) }
        XCTAssertEqual(stripTimes(a), stripTimes(b))

        let (report, evalLines) = try run("r = eval net \(d)/test.npz --report \(d)/report.json --worst 3")
        XCTAssertTrue(evalLines[0].hasPrefix("accuracy "), "\(evalLines)")
        XCTAssertTrue(evalLines.contains { $0.hasPrefix("least confident: clip") }, "\(evalLines)")
        let accuracy = try XCTUnwrap(report?.field("accuracy")?.numberValue)
        XCTAssertEqual(report?.field("per_class")?.tableValue?.rows.count, 3)
        XCTAssertEqual(report?.field("worst")?.tableValue?.rows.count, 3)
        guard case .array(let confusion)? = report?.field("confusion") else { return XCTFail("confusion is an array") }
        XCTAssertEqual(confusion.shape, [3, 3])
        // The original CLI's spelling, flags instead of arguments, gives the same report.
        let (flagged, _) = try run("eval --dataset \(d)/test.npz --checkpoint net --worst 3")
        XCTAssertEqual(flagged?.field("accuracy")?.numberValue, accuracy)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("report.json"))) as! [String: Any]
        XCTAssertEqual(json["accuracy"] as? Double, accuracy)
        XCTAssertEqual(json["labels"] as? [String], ["class0", "class1", "class2"], "reported in the checkpoint's class order")
        // Same as the library on the original-order data.
        let (model, _) = try Checkpoint.read(URL(fileURLWithPath: checkpoint))
        var reordered = try Dataset(contentsOf: directory.appendingPathComponent("test.npz"))
        reordered = try LabelAlignment.align(reordered, to: ["class0", "class1", "class2"], role: "test")
        XCTAssertEqual(Evaluator.evaluate(model, on: reordered).accuracy, accuracy)
    }

    /// `--augment` is the recommended set spelled out, and an `--augment-*` flag given with it
    /// replaces just its part.
    func testAugmentIsTheRecommendedSetAndFlagsOverrideItsParts() throws {
        let d = directory.path
        func metrics(_ name: String, _ flags: String) throws -> String {
            _ = try run("\(name) = train \(d)/train.npz --architecture tcn --hidden-dim 8 --epochs 2 --batch-size 8 --out \(d)/\(name) \(flags)")
            return try String(contentsOfFile: "\(d)/\(name)/tcn_metrics.jsonl", encoding: .utf8)
                .replacingOccurrences(of: #""seconds":[0-9.e-]+"#, with: "", options: .regularExpression)
        }
        let r = AugmentationOptions.recommended
        XCTAssertFalse(r.mirror, "mirroring is not part of the default")
        let preset = try metrics("a", "--augment")
        let spelled = try metrics("b", "--augment-rotate \(r.rotateDegrees) --augment-scale \(r.scale) --augment-jitter \(r.jitter) "
                                  + "--augment-time-stretch \(r.timeStretch)")
        XCTAssertEqual(preset, spelled)
        let none = try metrics("c", "")
        XCTAssertNotEqual(preset, none)
        let overridden = try metrics("d", "--augment --augment-rotate 3")
        let overriddenSpelled = try metrics("e", "--augment-rotate 3 --augment-scale \(r.scale) --augment-jitter \(r.jitter) "
                                            + "--augment-time-stretch \(r.timeStretch)")
        XCTAssertEqual(overridden, overriddenSpelled)
        XCTAssertNotEqual(overridden, preset)
    }

    func testFeaturesReachTheModelAndItsCheckpoint() throws {
        let d = directory.path
        let (net, _) = try run("net = train \(d)/train.npz --architecture tcn --hidden-dim 8 --epochs 2 --batch-size 8 "
                               + "--features distances --out \(d)/dist")
        let checkpoint = URL(fileURLWithPath: try XCTUnwrap(net?.field("checkpoint")?.textValue))
        let (model, metadata) = try Checkpoint.load(checkpoint)
        XCTAssertEqual(metadata.config.features, [.distances])
        XCTAssertEqual(model.parameters.tensor("blocks.0.conv1.weight")?.shape, [8, 55, 3], "the first layer takes 55 distances a frame")
        let (both, _) = try run("both = train \(d)/train.npz --architecture mlp --hidden-dim 8 --epochs 1 --features distances coords --out \(d)/both")
        let bothMeta = try Checkpoint.load(URL(fileURLWithPath: try XCTUnwrap(both?.field("checkpoint")?.textValue))).metadata
        XCTAssertEqual(bothMeta.config.features, [.coords, .distances], "canonical order")
        // Coordinates (the default) keep the metadata older readers know: no `features` key.
        _ = try run("plain = train \(d)/train.npz --architecture tcn --hidden-dim 8 --epochs 1 --out \(d)/plain")
        let plainJSON = try Checkpoint.load(URL(fileURLWithPath: "\(d)/plain/tcn_last.safetensors")).metadata.jsonString()
        XCTAssertFalse(plainJSON.contains("features"), plainJSON)
        XCTAssertThrowsError(try run("train \(d)/train.npz --architecture tcn --hidden-dim 8 --epochs 3 --batch-size 8 "
                                     + "--out \(d)/dist --resume \(d)/dist/tcn_last.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("features distances"), "\(error)")
        }
        XCTAssertThrowsError(try run("train \(d)/train.npz --features angles")) { error in
            XCTAssertTrue("\(error)".contains("coords") && "\(error)".contains("distances"), "\(error)")
        }
    }

    func testBadFlagsAndUnknownTestClassesAreClearErrors() throws {
        let d = directory.path
        var unknown = Fixtures.sequences(n: 6, T: 4, classes: 3, seed: 4)
        unknown.labelNames = ["class0", "class1", "walrus"]
        try unknown.write(to: directory.appendingPathComponent("unknown.npz"))
        _ = try run("net = train \(d)/train.npz --epochs 1 --hidden-dim 8 --checkpoint-dir \(d)/ck")
        XCTAssertThrowsError(try run("eval net \(d)/unknown.npz")) { error in
            XCTAssertTrue("\(error)".contains("has 1 class the model does not know: walrus"), "\(error)")
        }
        XCTAssertThrowsError(try run("train \(d)/train.npz --augment-frame-dropout 1.5 --checkpoint-dir \(d)/ck")) { error in
            XCTAssertTrue("\(error)".contains("must be below 1"), "\(error)")
        }
        XCTAssertThrowsError(try run("train \(d)/train.npz --architecture lstm --epochs 2 --checkpoint-dir \(d)/ck --resume \(d)/ck/mlp_last.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("it is an mlp"), "\(error)")
        }
    }

    /// `cv` from the shell: pooled files, signer folds, the documented result fields, the chart
    /// written, and bad settings refused before any training.
    func testCrossValidationFromTheShell() throws {
        let d = directory.path
        for (name, seed) in [("a", UInt64(5)), ("b", 6)] {
            var part = Fixtures.sequences(n: 18, T: 4, classes: 3, seed: seed)
            part.metadata.signers = (0..<18).map { "\(name)\($0 % 2)" }   // signers a0 a1 b0 b1
            try part.write(to: directory.appendingPathComponent("\(name).npz"))
        }
        let (value, lines) = try run("r = cv \(d)/a.npz \(d)/b.npz --folds 4 --seeds 1 2 --hidden-dim 8 --epochs 2 --out \(d)/cv")
        XCTAssertEqual(lines.first, "cv: 4 folds × 2 seeds, 36 samples in 3 classes, 4 signers, none in two folds, mlp")
        XCTAssertEqual(lines.filter { $0.hasPrefix("seed ") }.count, 8)
        XCTAssertTrue(lines.contains { $0.hasPrefix("accuracy ") && $0.contains("(mean ± sd of 8 folds)") }, "\(lines)")
        guard case .record(let record) = value else { return XCTFail("cv returns a record, got \(String(describing: value))") }
        XCTAssertEqual(record.keys, ["mean", "sd", "pooled", "folds", "groups", "plot"])
        XCTAssertEqual(record["folds"]?.tableValue?.rows.count, 8)
        XCTAssertEqual(record["groups"]?.tableValue?.rows.map { $0[1].numberValue }, Array(repeating: 9, count: 4))
        let png = try Data(contentsOf: directory.appendingPathComponent("cv/cv_signers.png"))
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        XCTAssertThrowsError(try run("cv \(d)/a.npz --folds 3 --out \(d)/cv2")) { error in
            XCTAssertTrue("\(error)".contains("only 2 signers ('a0', 'a1'): they cannot make 3 folds"), "\(error)")
        }
        XCTAssertThrowsError(try run("cv \(d)/a.npz --folds 2 --seeds 1 -3 --out \(d)/cv2")) { error in
            XCTAssertTrue("\(error)".contains("--seeds: -3 is not a seed"), "\(error)")
        }
        XCTAssertThrowsError(try run("cv \(d)/train.npz --folds 2 --out \(d)/cv2")) { error in
            XCTAssertTrue("\(error)".contains("30 of 30 samples have no signer"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(d)/cv2/seed42"), "refused before training")
        // Sharded from the shell: two shards, then a --resume that only gathers.
        for i in 0..<2 {
            let (_, shardLines) = try run("cv \(d)/a.npz \(d)/b.npz --folds 4 --seeds 1 2 --hidden-dim 8 --epochs 2 --out \(d)/cvs --shard \(i)/2")
            XCTAssertEqual(shardLines.first, "cv: 4 folds × 2 seeds, 36 samples in 3 classes, 4 signers, none in two folds, mlp; shard \(i)/2: 4 of 8 folds")
            XCTAssertEqual(shardLines.filter { $0.hasPrefix("seed ") }.count, 4)
        }
        let (gathered, _) = try run("cv \(d)/a.npz \(d)/b.npz --folds 4 --seeds 1 2 --hidden-dim 8 --epochs 2 --out \(d)/cvs --resume")
        XCTAssertEqual(gathered?.field("mean")?.numberValue, value?.field("mean")?.numberValue, "the shards' folds are the unsharded run's")
        XCTAssertThrowsError(try run("cv \(d)/a.npz --folds 2 --shard 2/2 --out \(d)/cv2")) { error in
            XCTAssertTrue("\(error)".contains("shard index 2 is outside 0…1"), "\(error)")
        }
        // eval --by signer on one fold's model: the per-signer table agrees with the counts.
        let (evaluated, evalLines) = try run("eval \(d)/cv/seed1/fold1/mlp_last.safetensors \(d)/b.npz --by signer")
        guard case .record(let report) = evaluated, let table = report["by_signer"]?.tableValue else {
            return XCTFail("eval --by signer gives a by_signer table")
        }
        XCTAssertEqual(table.columns, ["signer", "samples", "accuracy"])
        XCTAssertEqual(Set(table.rows.map { $0[0].textValue ?? "" }), ["b0", "b1"])
        let accuracies = table.rows.map { $0[2].numberValue ?? -1 }
        XCTAssertEqual(accuracies, accuracies.sorted(), "worst first")
        let overall = try XCTUnwrap(report["accuracy"]?.numberValue)
        XCTAssertEqual(overall, zip(table.rows.map { $0[1].numberValue ?? 0 }, accuracies).map { $0 * $1 }.reduce(0, +) / 18, accuracy: 1e-9)
        XCTAssertTrue(evalLines.contains { $0.hasPrefix("signer") }, "\(evalLines)")
        XCTAssertThrowsError(try run("eval \(d)/cv/seed1/fold1/mlp_last.safetensors \(d)/train.npz --by signer")) { error in
            XCTAssertTrue("\(error)".contains("--by signer: 30 of 30 samples have no signer"), "\(error)")
        }
    }
}
