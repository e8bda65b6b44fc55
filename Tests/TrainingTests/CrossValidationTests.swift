import XCTest
import Datasets
import NeuralNets
import TensorCore
import TestSupport
@testable import Training

/// Grouped cross-validation: no group is ever split between folds, as many folds as groups is
/// leave-one-group-out, the dealing follows the seed, and each fold's score is what training
/// and evaluating that fold by hand gives.
final class CrossValidationTests: XCTestCase {
    var directory: URL!
    override func setUpWithError() throws { directory = try TestEnvironment.temporaryDirectory("cv") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// `Fixtures.sequences` with signers: sample i by signer `s<i % signers>` (so every signer
    /// has every class when `signers` and the class count are coprime).
    func signed(n: Int, signers: Int, classes: Int = 3, seed: UInt64 = 5) -> Dataset {
        var data = Fixtures.sequences(n: n, T: 4, classes: classes, seed: seed)
        data.metadata.signers = (0..<n).map { "s\($0 % signers)" }
        return data
    }

    func testGroupsAreNeverSplitAndFoldsStayBalanced() throws {
        // 11 groups of sizes 1…11 into 4 folds.
        var groups: [String] = []
        for g in 1...11 { groups += Array(repeating: "g\(g)", count: g) }
        let labels = groups.indices.map { $0 % 3 }
        for seed: UInt64 in [1, 2, 3] {
            let folds = try CrossValidation.assignFolds(groups: groups, labels: labels, folds: 4, grouping: .signer, seed: seed)
            var foldOf: [String: Int] = [:]
            for (g, f) in zip(groups, folds) {
                XCTAssertEqual(foldOf[g] ?? f, f, "group \(g) split between folds")
                foldOf[g] = f
            }
            let sizes = (0..<4).map { f in folds.filter { $0 == f }.count }
            XCTAssertEqual(sizes.reduce(0, +), 66)
            // Largest group first, each to the fold with the fewest samples (scikit-learn's
            // GroupKFold deals the same way): 11 10 9 8 | 7→8 6→9 5→10 4→11 | 3 2 1.
            XCTAssertEqual(sizes.sorted(), [15, 16, 17, 18], "\(sizes)")
            XCTAssertEqual(try CrossValidation.assignFolds(groups: groups, labels: labels, folds: 4, grouping: .signer, seed: seed),
                           folds, "the same seed deals the same folds")
        }
        // Equal-sized groups: the seed decides which share a fold.
        let even = (0..<60).map { "g\($0 / 5)" }
        let dealings = try Set([UInt64](1...6).map {
            try CrossValidation.assignFolds(groups: even, labels: even.indices.map { $0 % 2 }, folds: 3, grouping: .signer, seed: $0)
        })
        XCTAssertGreaterThan(dealings.count, 1)
    }

    func testAsManyFoldsAsGroupsIsLeaveOneGroupOut() throws {
        let data = signed(n: 60, signers: 6)
        let groups = try CrossValidation.groups(of: data, by: .signer)
        let folds = try CrossValidation.assignFolds(groups: groups, labels: data.labels, folds: 6, grouping: .signer, seed: 9)
        for f in 0..<6 {
            XCTAssertEqual(Set(groups.indices.filter { folds[$0] == f }.map { groups[$0] }).count, 1, "fold \(f) holds one signer")
        }
    }

    func testUngroupedFoldsAreStratifiedByClass() throws {
        let labels = (0..<90).map { $0 < 60 ? 0 : ($0 < 80 ? 1 : 2) }   // 60 / 20 / 10
        let folds = try CrossValidation.assignFolds(groups: [], labels: labels, folds: 5, grouping: .none, seed: 4)
        for f in 0..<5 {
            let members = labels.indices.filter { folds[$0] == f }.map { labels[$0] }
            XCTAssertEqual(members.count, 18)
            XCTAssertEqual(members.filter { $0 == 0 }.count, 12, "each class spread evenly")
            XCTAssertEqual(members.filter { $0 == 2 }.count, 2)
        }
    }

    func testImpossibleSplitsAreRefusedWithTheReason() {
        let data = signed(n: 30, signers: 3)
        XCTAssertThrowsError(try CrossValidation.run(data, options: options(folds: 4))) {
            XCTAssertEqual("\($0)", "only 3 signers ('s0', 's1', 's2'): they cannot make 4 folds (at most 3: one signer held out per fold)")
        }
        var unsigned = data
        unsigned.metadata.signers[4] = ""
        XCTAssertThrowsError(try CrossValidation.run(unsigned, options: options(folds: 2))) {
            XCTAssertTrue("\($0)".hasPrefix("--group-by signer: 1 of 30 samples have no signer"), "\($0)")
        }
        XCTAssertThrowsError(try CrossValidation.run(data, options: options(folds: 1))) {
            XCTAssertEqual("\($0)", "--folds must be at least 2, got 1")
        }
    }

    func options(folds: Int, seeds: [UInt64] = [7]) -> CrossValidation.Options {
        var options = CrossValidation.Options()
        options.folds = folds
        options.seeds = seeds
        options.training.architecture = .mlp
        options.training.hiddenDim = 16
        options.training.epochs = 3
        options.training.batchSize = 16
        options.directory = directory
        return options
    }

    /// Each fold's accuracy equals training that fold's samples by hand with the same options
    /// and seed and scoring the held-out ones with `Evaluator`; per-signer counts add up.
    func testEachFoldIsWhatTrainingItByHandGives() throws {
        let data = signed(n: 48, signers: 4)
        let opts = options(folds: 4, seeds: [7, 8])
        var heard: [CrossValidation.Fold] = []
        let report = try CrossValidation.run(data, options: opts, progress: { heard.append($0) })
        XCTAssertEqual(report.folds, heard)
        XCTAssertEqual(report.folds.count, 8)
        XCTAssertEqual(report.groups.map(\.samples).reduce(0, +), 48)
        XCTAssertTrue(report.groups.allSatisfy { $0.scored == 2 * $0.samples }, "each seed scores every sample once")
        XCTAssertEqual(report.groups.map(\.accuracy), report.groups.map(\.accuracy).sorted(), "worst first")
        let groups = try CrossValidation.groups(of: data, by: .signer)
        for fold in report.folds where fold.seed == 8 {
            let test = data.labels.indices.filter { fold.heldOut.contains(groups[$0]) }
            let train = data.labels.indices.filter { !fold.heldOut.contains(groups[$0]) }
            XCTAssertEqual(test.count, fold.testCount)
            var training = opts.training
            training.seed = 8
            training.checkpointDirectory = directory.appendingPathComponent("by-hand-\(fold.fold)")
            let run = try Trainer.train(data.subset(train), validation: nil, options: training)
            let evaluated = Evaluator.evaluate(run.model, on: data.subset(test), worst: 0)
            XCTAssertEqual(fold.accuracy, evaluated.accuracy, accuracy: 1e-12, "seed 8 fold \(fold.fold)")
        }
        let mean = report.folds.map(\.accuracy).reduce(0, +) / 8
        XCTAssertEqual(report.mean, mean, accuracy: 1e-12)
        let variance = report.folds.map { ($0.accuracy - mean) * ($0.accuracy - mean) }.reduce(0, +) / 7
        XCTAssertEqual(report.standardDeviation, variance.squareRoot(), accuracy: 1e-12)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("seed7/fold1/mlp_last.safetensors").path))
    }

    /// Samples whose hand recovery found (`--recover`) are scored apart from MediaPipe's: per
    /// source, correct and scored add up to the pooled figures, and survive a resume.
    func testRecoveredSamplesAreScoredApart() throws {
        var data = signed(n: 36, signers: 4)
        data.metadata.recovered = (0..<36).map { $0 % 5 == 0 ? "mirrored" : $0 % 7 == 0 ? "zoomed-out" : "" }
        XCTAssertEqual(data.subset([0, 1, 7]).metadata.recovered, ["mirrored", "", "zoomed-out"])
        let report = try CrossValidation.run(data, options: options(folds: 4, seeds: [3, 4]))
        XCTAssertEqual(Set(report.handSources.map(\.name)), ["mediapipe", "recovered (mirrored)", "recovered (zoomed-out)"])
        let samples = Dictionary(uniqueKeysWithValues: report.handSources.map { ($0.name, $0.samples) })
        XCTAssertEqual(samples, ["mediapipe": 36 - 8 - 4, "recovered (mirrored)": 8, "recovered (zoomed-out)": 4])
        XCTAssertTrue(report.handSources.allSatisfy { $0.scored == 2 * $0.samples })
        XCTAssertEqual(report.handSources.map(\.correct).reduce(0, +), report.groups.map(\.correct).reduce(0, +))
        var again = options(folds: 4, seeds: [3, 4])
        again.resume = true
        XCTAssertEqual(try CrossValidation.run(data, options: again).handSources, report.handSources)
        // Data without recovered samples has no such table (and writes no `recovered` array).
        XCTAssertEqual(try CrossValidation.run(signed(n: 24, signers: 4), options: options(folds: 2)).handSources, [])
        XCTAssertFalse(signed(n: 4, signers: 2).npz().arrays.contains { $0.0 == "recovered" })
        XCTAssertTrue(data.npz().arrays.contains { $0.0 == "recovered" })
    }

    /// A run stopped after some folds (its results file holding only those) and resumed ends with
    /// the same report as an uninterrupted run, training only the missing folds; results made with
    /// other settings are refused.
    func testResumeKeepsFinishedFoldsAndRefusesOtherSettings() throws {
        let data = signed(n: 36, signers: 4)
        var opts = options(folds: 4, seeds: [3])
        opts.directory = directory.appendingPathComponent("whole")
        let whole = try CrossValidation.run(data, options: opts)
        let resultsURL = opts.directory.appendingPathComponent("cv_results.json")
        var saved = try JSONDecoder().decode(CrossValidation.ResultsFile.self, from: Data(contentsOf: resultsURL))
        XCTAssertEqual(saved.folds, whole.folds)
        XCTAssertEqual(saved.folds[0].groups.values.map { $0[1] }.reduce(0, +), whole.folds[0].testCount)

        // As if killed during fold 3: only folds 1–2 saved.
        opts.directory = directory.appendingPathComponent("stopped")
        saved.folds = Array(saved.folds.prefix(2))
        try FileManager.default.createDirectory(at: opts.directory, withIntermediateDirectories: true)
        try JSONEncoder().encode(saved).write(to: opts.directory.appendingPathComponent("cv_results.json"))
        opts.resume = true
        var heard: [Int] = []
        let resumed = try CrossValidation.run(data, options: opts, progress: { heard.append($0.fold) })
        XCTAssertEqual(heard, [1, 2, 3, 4])
        XCTAssertEqual(resumed.folds, whole.folds)
        XCTAssertEqual(resumed.groups, whole.groups)
        let trained = try FileManager.default.contentsOfDirectory(atPath: opts.directory.appendingPathComponent("seed3").path).sorted()
        XCTAssertEqual(trained, ["fold3", "fold4"], "only the folds that were missing are trained")

        opts.training.epochs = 4
        XCTAssertThrowsError(try CrossValidation.run(data, options: opts)) {
            XCTAssertTrue("\($0)".hasPrefix("--resume: \(opts.directory.path)/cv_results.json holds folds made with other data or settings"), "\($0)")
        }
        try Data("{".utf8).write(to: opts.directory.appendingPathComponent("cv_results.json"))
        XCTAssertThrowsError(try CrossValidation.run(data, options: opts)) {
            XCTAssertTrue("\($0)".hasPrefix("\(opts.directory.path)/cv_results.json: "), "\($0)")
        }
    }

    /// Shards split the (seed, fold) jobs without overlap, each into its own results file; a
    /// resumed run over the same folder gathers them, trains only what no shard did, and reports
    /// exactly what one unsharded run does.
    func testShardsSplitTheFoldsAndAResumeGathersThem() throws {
        let data = signed(n: 36, signers: 4)
        var opts = options(folds: 4, seeds: [3, 5])
        opts.directory = directory.appendingPathComponent("whole")
        let whole = try CrossValidation.run(data, options: opts)
        XCTAssertEqual(whole.folds.count, 8)

        opts.directory = directory.appendingPathComponent("sharded")
        var done: [String] = []
        for index in [0, 2] {   // shard 1 of 3 is never run: the gathering run trains its folds
            var shard = opts
            shard.shard = (index, 3)
            let part = try CrossValidation.run(data, options: shard)
            XCTAssertEqual(part.folds.map { "\($0.seed)/\($0.fold)" },
                           shard.jobs.map { "\(opts.seeds[$0.seed])/\($0.fold + 1)" })
            XCTAssertTrue(FileManager.default.fileExists(atPath: shard.resultsURL.path), shard.resultsURL.lastPathComponent)
            XCTAssertEqual(shard.resultsURL.lastPathComponent, "cv_results.shard-\(index)-of-3.json")
            for fold in part.folds { XCTAssertEqual(fold, whole.folds.first { $0.seed == fold.seed && $0.fold == fold.fold }) }
            done += part.folds.map { "\($0.seed)/\($0.fold)" }
        }
        XCTAssertEqual(Set(done).count, done.count, "no (seed, fold) in two shards")
        XCTAssertEqual(done.sorted(), ["3/1", "3/3", "3/4", "5/2", "5/3"])   // jobs 0, 2, 3, 5, 6 of 8
        XCTAssertFalse(FileManager.default.fileExists(atPath: opts.directory.appendingPathComponent("cv_results.json").path))
        // Shards' checkpoints removed: the folders left after gathering are what it trained.
        for seed in ["seed3", "seed5"] { try? FileManager.default.removeItem(at: opts.directory.appendingPathComponent(seed)) }
        opts.resume = true
        let gathered = try CrossValidation.run(data, options: opts)
        XCTAssertEqual(gathered.folds, whole.folds)
        XCTAssertEqual(gathered.groups, whole.groups)
        let trained = ["3", "5"].map { (try? FileManager.default.contentsOfDirectory(
            atPath: opts.directory.appendingPathComponent("seed\($0)").path).sorted()) ?? [] }
        XCTAssertEqual(trained, [["fold2"], ["fold1", "fold4"]], "the gathering run trains only the folds no shard finished")
        let combined = try JSONDecoder().decode(CrossValidation.ResultsFile.self,
                                                 from: Data(contentsOf: opts.directory.appendingPathComponent("cv_results.json")))
        XCTAssertEqual(combined.folds, whole.folds, "the gathering run writes every fold into cv_results.json")
        // Gathering again, with nothing left to train, gives the same report.
        XCTAssertEqual(try CrossValidation.run(data, options: opts).folds, whole.folds)

        var bad = opts
        bad.shard = (3, 3)
        XCTAssertThrowsError(try CrossValidation.run(data, options: bad)) { XCTAssertTrue("\($0)".contains("0…count − 1"), "\($0)") }
    }

    func testDatasetsArePooledWithClassesMatchedByName() throws {
        let a = signed(n: 12, signers: 2)
        var b = signed(n: 6, signers: 2, seed: 6)
        b.labelNames = ["class2", "class0", "class1"]   // the same classes, another order
        let pooled = try CrossValidation.merged([(a, "a.npz"), (b, "b.npz")])
        XCTAssertEqual(pooled.count, 18)
        XCTAssertEqual(pooled.labelNames, a.labelNames)
        XCTAssertEqual(Array(pooled.labels[12...]), b.labels.map { ["class2", "class0", "class1"][$0] }.map { a.labelNames.firstIndex(of: $0)! })
        XCTAssertEqual(Array(pooled.metadata.signers[12...]), b.metadata.signers)
        XCTAssertEqual(Array(pooled.sequences.scalars[(12 * 4 * 63)...]), b.sequences.scalars)
        let other = Fixtures.sequences(n: 3, T: 5, classes: 3, seed: 1)
        XCTAssertThrowsError(try CrossValidation.merged([(a, "a.npz"), (other, "c.npz")])) {
            XCTAssertEqual("\($0)", "c.npz: sequence length 5 ≠ 4 of the first dataset")
        }
    }
}
