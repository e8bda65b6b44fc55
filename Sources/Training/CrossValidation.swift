import Foundation
import Datasets
import NeuralNets
import TensorCore

/// K-fold cross-validation, grouped so that no signer (or source video) is in two folds: the
/// honest estimate of how a model does on people it never saw. Every fold of every seed trains a
/// fresh model on the other folds (`Trainer.train`, no validation set: the checkpoint kept is the
/// epoch with the best training accuracy, so the held-out fold never steers training) and is
/// scored on its held-out fold.
public enum CrossValidation {
    /// What keeps samples together.
    public enum Grouping: String, Sendable, CaseIterable {
        /// The sample's signer (`build` carries it from the manifest).
        case signer
        /// The video, photo or sequence the sample came from.
        case source
        /// No grouping: folds stratified by class.
        case none
    }

    public struct Options: Sendable {
        public var folds = 5
        public var grouping: Grouping = .signer
        /// One full round of folds per seed; each seed deals the folds and seeds the models.
        public var seeds: [UInt64] = [42]
        /// The training settings of every fold (its seed and checkpoint folder are set per fold).
        public var training = TrainingOptions()
        /// Fold checkpoints go to `<directory>/seed<S>/fold<K>/`, the finished folds to
        /// `<directory>/cv_results.json`.
        public var directory = URL(fileURLWithPath: "models/cv")
        /// Reuse the folds `cv_results.json` and the shards' result files hold (made with the same
        /// data and settings).
        public var resume = false
        /// Run only this slice of the (seed, fold) jobs, numbered seed by seed from 0: those whose
        /// number is `index` modulo `count` (0-based, as Slurm array indices). Its finished folds go
        /// to `cv_results.shard-I-of-N.json`, so shards on several processes or machines sharing
        /// `directory` never write the same file; a run with `resume` then gathers them all.
        public var shard: (index: Int, count: Int)? = nil
        public init() {}

        /// The (seed, fold) jobs this run does, as [seed index, 0-based fold].
        public var jobs: [(seed: Int, fold: Int)] {
            (0..<seeds.count).flatMap { s in (0..<folds).map { (seed: s, fold: $0) } }.enumerated()
                .filter { j, _ in shard.map { j % $0.count == $0.index } ?? true }.map(\.element)
        }

        /// Where this run saves its finished folds.
        public var resultsURL: URL {
            directory.appendingPathComponent(shard.map { "cv_results.shard-\($0.index)-of-\($0.count).json" } ?? "cv_results.json")
        }
    }

    public struct Fold: Sendable, Equatable, Codable {
        public var seed: UInt64
        /// 1-based.
        public var fold: Int
        /// The groups held out, sorted.
        public var heldOut: [String]
        public var trainCount: Int
        public var testCount: Int
        public var accuracy: Double
        /// Per held-out group: [correct, scored].
        public var groups: [String: [Int]] = [:]
        /// Per hand source ("mediapipe", "recovered (ATTEMPT)"): [correct, scored]; nil when no
        /// sample was recovered.
        public var handSources: [String: [Int]]? = nil

        enum CodingKeys: String, CodingKey {
            case seed, fold, heldOut = "held_out", trainCount = "train", testCount = "test", accuracy, groups
            case handSources = "hand_sources"
        }
    }

    /// `<directory>/cv_results.json`: every finished fold, rewritten (atomically) after each, so
    /// a rerun with `resume` skips them. `settings` says what they were made with.
    struct ResultsFile: Codable {
        var settings: String
        var folds: [Fold]
    }

    /// What must match for finished folds to be reused: the data and every setting but where
    /// checkpoints go.
    static func settings(_ data: Dataset, _ options: Options) -> String {
        var training = options.training
        training.checkpointDirectory = URL(fileURLWithPath: "/")
        training.resume = nil
        training.seed = 0
        var digest: UInt64 = 0xcbf2_9ce4_8422_2325   // FNV-1a over the samples, labels and groups
        func mix(_ bytes: some Sequence<UInt8>) { for b in bytes { digest = (digest ^ UInt64(b)) &* 0x100_0000_01b3 } }
        data.sequences.scalars.withUnsafeBytes { mix($0) }
        data.masks.forEach { mix([$0 ? 1 : 0]) }
        data.labels.forEach { mix(String($0).utf8) }
        (data.labelNames + data.metadata.signers + data.metadata.sourceFiles).forEach { mix($0.utf8); mix([0]) }
        return "data \(String(digest, radix: 16)) (\(data.count) samples); folds \(options.folds), group-by \(options.grouping.rawValue); "
            + "training \(training)"
    }

    /// One group's held-out accuracy over every seed (each seed scores each sample once).
    public struct Group: Sendable, Equatable {
        public var name: String
        public var samples: Int
        public var correct: Int
        public var scored: Int
        public var accuracy: Double { scored > 0 ? Double(correct) / Double(scored) : 0 }
    }

    public struct Report: Sendable {
        public var folds: [Fold]
        /// Worst first (ties by name).
        public var groups: [Group]
        public var grouping: Grouping
        /// Held-out accuracy of MediaPipe's own hands and of each recovery attempt's (`--recover`),
        /// worst first; empty when no sample was recovered.
        public var handSources: [Group] = []
        /// Mean and sample standard deviation of the fold accuracies (all seeds).
        public var mean: Double { folds.map(\.accuracy).reduce(0, +) / Double(max(1, folds.count)) }
        public var standardDeviation: Double {
            guard folds.count > 1 else { return 0 }
            let m = mean
            return (folds.map { ($0.accuracy - m) * ($0.accuracy - m) }.reduce(0, +) / Double(folds.count - 1)).squareRoot()
        }
        /// Held-out accuracy pooled over every scored sample.
        public var pooledAccuracy: Double {
            let scored = groups.map(\.scored).reduce(0, +)
            return scored > 0 ? Double(groups.map(\.correct).reduce(0, +)) / Double(scored) : 0
        }
    }

    /// The group of each sample; throws when grouping by signer and some samples have none
    /// (`flag` names the option in that message).
    public static func groups(of data: Dataset, by grouping: Grouping, flag: String = "--group-by") throws -> [String] {
        switch grouping {
        case .none:
            return data.metadata.clipIDs.count == data.count ? data.metadata.clipIDs : data.labels.indices.map { "#\($0)" }
        case .source:
            return data.metadata.sourceFiles.count == data.count ? data.metadata.sourceFiles : data.labels.indices.map { "#\($0)" }
        case .signer:
            let signers = data.metadata.signers.count == data.count ? data.metadata.signers : Array(repeating: "", count: data.count)
            let missing = signers.filter(\.isEmpty).count
            guard missing == 0 else {
                throw TrainingError.badOption("\(flag) signer: \(missing) of \(data.count) samples have no signer "
                    + "(record it on import: --signer, or --signer-from for frame folders)")
            }
            return signers
        }
    }

    /// The fold (0-based) of each sample. Grouped: the groups, shuffled by `seed` and then taken
    /// largest first, each go to the fold holding the fewest samples so far, so folds come out
    /// near equal and as many folds as groups is leave-one-group-out. Ungrouped: each class's
    /// samples, shuffled, are dealt round the folds (stratified).
    public static func assignFolds(groups: [String], labels: [Int], folds: Int, grouping: Grouping, seed: UInt64) throws -> [Int] {
        guard folds >= 2 else { throw TrainingError.badOption("--folds must be at least 2, got \(folds)") }
        var rng = SeededRandom(seed: seed ^ 0x4346_4F4C_4453)   // "CFOLDS"
        var assignment = [Int](repeating: 0, count: labels.count)
        if grouping == .none {
            guard labels.count >= folds else {
                throw TrainingError.badOption("\(labels.count) samples cannot make \(folds) folds")
            }
            var next = 0
            for c in Set(labels).sorted() {
                var members = labels.indices.filter { labels[$0] == c }
                members.shuffle(using: &rng)
                for i in members { assignment[i] = next % folds; next += 1 }
            }
            return assignment
        }
        var members: [String: [Int]] = [:]
        for (i, g) in groups.enumerated() { members[g, default: []].append(i) }
        guard members.count >= folds else {
            let names = members.keys.sorted().prefix(8).map { "'\($0)'" }.joined(separator: ", ")
            throw TrainingError.badOption("only \(members.count) \(grouping.rawValue)s (\(names)\(members.count > 8 ? ", …" : "")): "
                + "they cannot make \(folds) folds (at most \(members.count): one \(grouping.rawValue) held out per fold)")
        }
        var order = members.keys.sorted()
        order.shuffle(using: &rng)
        order = order.enumerated().sorted { (members[$0.element]!.count, -$0.offset) > (members[$1.element]!.count, -$1.offset) }.map(\.element)
        var sizes = [Int](repeating: 0, count: folds)
        for g in order {
            let fold = sizes.indices.min { (sizes[$0], $0) < (sizes[$1], $1) }!
            for i in members[g]! { assignment[i] = fold }
            sizes[fold] += members[g]!.count
        }
        return assignment
    }

    /// The finished folds of `cv_results.json` and of every shard's `cv_results.shard-I-of-N.json`
    /// in `directory`, each (seed, fold) once. Throws when one was made with other settings.
    static func finishedFolds(in directory: URL, settings: String) throws -> [Fold] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0 == "cv_results.json" || $0.hasPrefix("cv_results.shard-") && $0.hasSuffix(".json") }.sorted()
        var seen = Set<String>(), folds: [Fold] = []
        for name in names {
            for fold in try finishedFolds(directory.appendingPathComponent(name), settings: settings)
            where seen.insert("\(fold.seed)/\(fold.fold)").inserted {
                folds.append(fold)
            }
        }
        return folds
    }

    /// The finished folds in one results file when resuming with the same settings; [] when
    /// there is none. Throws when it was made with other settings, or cannot be read.
    static func finishedFolds(_ url: URL, settings: String) throws -> [Fold] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        let saved: ResultsFile
        do { saved = try JSONDecoder().decode(ResultsFile.self, from: Data(contentsOf: url)) } catch {
            throw TrainingError.file(FileProblem.malformed(url.path, format: "cv results file", "\(error)"))
        }
        guard saved.settings == settings else {
            throw TrainingError.badOption("--resume: \(url.path) holds folds made with other data or settings "
                + "(it has \(saved.settings); this run \(settings)); use another --out, or drop --resume to start over")
        }
        return saved.folds
    }

    /// Trains and scores every fold of every seed. `progress` hears of each finished fold (also
    /// of those taken over from a resumed run).
    public static func run(_ data: Dataset, options: Options, progress: (Fold) -> Void = { _ in },
                           log: (String) -> Void = { _ in }, isCancelled: () -> Bool = { false }) throws -> Report {
        guard !options.seeds.isEmpty else { throw TrainingError.badOption("--seeds: give at least one seed") }
        let groups = try groups(of: data, by: options.grouping)
        let sources = data.metadata.recovered.isEmpty ? nil : data.metadata.handSources(count: data.count)
        if let shard = options.shard, shard.count < 1 || !(0..<shard.count).contains(shard.index) {
            throw TrainingError.badOption("--shard \(shard.index)/\(shard.count): the index must be in 0…count − 1")
        }
        let resultsURL = options.resultsURL
        let settings = settings(data, options)
        let earlier = options.resume ? try finishedFolds(in: options.directory, settings: settings) : []
        let jobs = options.jobs
        var folds: [Fold] = []
        func save() throws {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            do { try OutputFile.write(try encoder.encode(ResultsFile(settings: settings, folds: folds)), to: resultsURL) }
            catch let problem as FileProblem { throw TrainingError.file(problem) }
        }
        for (s, seed) in options.seeds.enumerated() {
            let assignment = try assignFolds(groups: groups, labels: data.labels, folds: options.folds,
                                             grouping: options.grouping, seed: seed)
            for fold in 0..<options.folds where jobs.contains(where: { $0.seed == s && $0.fold == fold }) {
                if let done = earlier.first(where: { $0.seed == seed && $0.fold == fold + 1 }) {
                    folds.append(done)
                    progress(done)
                    continue
                }
                let test = data.labels.indices.filter { assignment[$0] == fold }
                let train = data.labels.indices.filter { assignment[$0] != fold }
                var training = options.training
                training.seed = seed
                training.resume = nil
                training.checkpointDirectory = options.directory.appendingPathComponent("seed\(seed)/fold\(fold + 1)")
                let run: TrainingRun
                do {
                    run = try Trainer.train(data.subset(train), validation: nil, options: training, log: log, isCancelled: isCancelled)
                } catch TrainingError.incompatible(let problem) {
                    throw TrainingError.incompatible("seed \(seed), fold \(fold + 1): \(problem)")
                }
                let predicted = Evaluator.evaluate(run.model, on: data.subset(test), worst: 0).predictions
                var correct = 0
                var perGroup: [String: [Int]] = [:], perSource: [String: [Int]] = [:]   // [correct, scored]
                for (k, i) in test.enumerated() {
                    let hit = predicted[k] == data.labels[i]
                    if hit { correct += 1 }
                    perGroup[groups[i], default: [0, 0]][0] += hit ? 1 : 0
                    perGroup[groups[i], default: [0, 0]][1] += 1
                    if let sources {
                        perSource[sources[i], default: [0, 0]][0] += hit ? 1 : 0
                        perSource[sources[i], default: [0, 0]][1] += 1
                    }
                }
                let result = Fold(seed: seed, fold: fold + 1, heldOut: Set(test.map { groups[$0] }).sorted(), trainCount: train.count,
                                  testCount: test.count, accuracy: Double(correct) / Double(max(1, test.count)), groups: perGroup,
                                  handSources: sources == nil ? nil : perSource)
                folds.append(result)
                try save()
                progress(result)
            }
        }
        // A gathering run that trained nothing still leaves one results file with every fold.
        if !folds.isEmpty && !FileManager.default.fileExists(atPath: resultsURL.path) { try save() }
        return Report(folds: folds, groups: ranked(groups, folds.map(\.groups)), grouping: options.grouping,
                      handSources: ranked(sources ?? [], folds.map { $0.handSources ?? [:] }))
    }

    /// Each name's held-out accuracy over the folds' [correct, scored] counts, worst first (ties by
    /// name); `names` is every sample's name (its group, or its hand source).
    static func ranked(_ names: [String], _ perFold: [[String: [Int]]]) -> [Group] {
        var tally: [String: Group] = [:]
        for name in names { tally[name, default: Group(name: name, samples: 0, correct: 0, scored: 0)].samples += 1 }
        for counts in perFold {
            for (name, c) in counts where c.count == 2 && tally[name] != nil {
                tally[name]!.correct += c[0]
                tally[name]!.scored += c[1]
            }
        }
        return tally.values.sorted { ($0.accuracy, $0.name) < ($1.accuracy, $1.name) }
    }

    /// Several datasets (e.g. the train, val and test files of one build) as one, classes
    /// matched by name to the first's.
    public static func merged(_ parts: [(Dataset, String)]) throws -> Dataset {
        guard let (first, _) = parts.first else { throw TrainingError.badOption("no dataset") }
        var all = first
        for (part, name) in parts.dropFirst() {
            guard part.sequenceLength == first.sequenceLength else {
                throw TrainingError.incompatible("\(name): sequence length \(part.sequenceLength) ≠ \(first.sequenceLength) of the first dataset")
            }
            guard part.layout == first.layout else {
                throw TrainingError.incompatible("\(name): frames hold \(part.layout.explained), the first dataset's \(first.layout.explained)")
            }
            guard part.preprocessing == first.preprocessing else {
                throw TrainingError.incompatible("\(name): built with preprocessing \(part.preprocessing.summary), "
                                                 + "the first dataset with \(first.preprocessing.summary)")
            }
            let aligned = try LabelAlignment.align(part, to: first.labelNames, role: "dataset \(name)")
            let m = all.metadata, n = aligned.metadata
            func meta<T>(_ a: [T], _ b: [T], _ count: Int, _ fill: T) -> [T] {
                (a.count == all.count ? a : Array(repeating: fill, count: all.count)) + (b.count == count ? b : Array(repeating: fill, count: count))
            }
            let metadata = Dataset.SampleMetadata(
                clipIDs: meta(m.clipIDs, n.clipIDs, aligned.count, ""), sourceFiles: meta(m.sourceFiles, n.sourceFiles, aligned.count, ""),
                signers: meta(m.signers, n.signers, aligned.count, ""), detectionRates: meta(m.detectionRates, n.detectionRates, aligned.count, 0),
                frameCounts: meta(m.frameCounts, n.frameCounts, aligned.count, 0), hasZ: meta(m.hasZ, n.hasZ, aligned.count, true),
                recovered: meta(m.recovered, n.recovered, aligned.count, ""))
            var shape = all.sequences.shape
            shape[0] += aligned.count
            all = Dataset(sequences: Tensor(shape: shape, scalars: all.sequences.scalars + aligned.sequences.scalars),
                          masks: all.masks + aligned.masks, labels: all.labels + aligned.labels, labelNames: first.labelNames,
                          metadata: metadata)
            all.preprocessing = first.preprocessing
        }
        return all
    }
}
