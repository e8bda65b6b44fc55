import Foundation
import TensorCore

/// `build`: landmark manifest → `<prefix>train.npz`, `<prefix>val.npz`, `<prefix>test.npz`.
///
/// Order of work: check options → read the manifest → fix the class list (all labels in the
/// manifest) → drop records below `--min-detection-rate` (counted) → cap `--max-samples` per
/// class (seeded, counted) → load and check every clip (missing file, shape, NaN/Inf → error
/// naming file and record) → normalise raw records → fix length (`--static`, `--sequence-length`
/// or one common T) → assign splits → check every class is in every non-empty split → write.
/// Nothing is written until everything has been checked, and each file is written atomically.
public enum DatasetBuilder {
    @discardableResult
    public static func build(_ options: BuildOptions, log: (String) -> Void = { _ in }) throws -> BuildSummary {
        try options.validate()
        let manifest = try LandmarkManifest.read(contentsOf: options.manifest)
        let records = manifest.records
        guard !records.isEmpty else { throw DatasetError.malformedManifest(file: manifest.source, detail: "no records") }
        var summary = BuildSummary()
        let labelNames = try classList(records, manifest: manifest.source)
        summary.labelNames = labelNames
        if let top = records.compactMap(\.labelIndex).max(), records.allSatisfy({ $0.labelIndex != nil }), top + 1 > labelNames.count {
            summary.warnings.append("label_index runs 0…\(top) but only \(labelNames.count) classes have samples: "
                                    + "classes renumbered 0…\(labelNames.count - 1) in upstream order (names kept in label_names)")
        }
        let classOf = Dictionary(uniqueKeysWithValues: labelNames.enumerated().map { ($1, $0) })

        // Filter by detection rate, then cap per class; both counted and explained.
        var kept = [Int]()
        var belowRate = [Int](repeating: 0, count: labelNames.count)
        let rateReason = "detection rate below --min-detection-rate \(options.minDetectionRate)"
        for (i, r) in records.enumerated() {
            if r.detectionRate < options.minDetectionRate {
                belowRate[classOf[r.label]!] += 1
                summary.dropped[rateReason, default: 0] += 1
                if options.verbose { log("drop record \(i) '\(r.clipID)' (\(r.label)): detection rate \(r.detectionRate)") }
            } else {
                kept.append(i)
            }
        }
        var rng = SeededRandom(seed: options.seed)
        var keptByClass = [[Int]](repeating: [], count: labelNames.count)
        for i in kept { keptByClass[classOf[records[i].label]!].append(i) }
        if let c = keptByClass.firstIndex(where: \.isEmpty) {
            throw DatasetError.emptyClass(label: labelNames[c], reason: "all \(belowRate[c]) of its records are below "
                                          + "--min-detection-rate \(options.minDetectionRate) (class \(c) of \(labelNames.count))")
        }
        if let cap = options.maxSamplesPerClass {
            for (c, members) in keptByClass.enumerated() where members.count > cap {
                keptByClass[c] = rng.permutation(members.count).prefix(cap).map { members[$0] }
                summary.dropped["over --max-samples \(cap) per class", default: 0] += members.count - cap
            }
            kept = keptByClass.flatMap { $0 }.sorted()
        }

        // Load, check, normalise, fix length.
        var clips = [LandmarkClip]()
        clips.reserveCapacity(kept.count)
        for i in kept {
            let r = records[i]
            var clip = try manifest.loadClip(at: i)
            guard clip.frameCount == r.frameCount else {
                throw DatasetError.badRecord(manifest: manifest.source, index: i, clipID: r.clipID,
                                             problem: "frame_count \(r.frameCount) but \(r.landmarks) holds \(clip.frameCount) frames")
            }
            switch r.normalisation {
            case LandmarkNormalizer.name: break
            case "none": summary.degenerateFrames += LandmarkNormalizer.normalize(&clip, useZ: r.hasZ)
            default:
                throw DatasetError.badRecord(manifest: manifest.source, index: i, clipID: r.clipID,
                                             problem: "unknown normalisation '\(r.normalisation)' (expected '\(LandmarkNormalizer.name)' or 'none')")
            }
            if options.dominantRight {
                guard clip.layout.hands == 2 else {
                    throw DatasetError.badRecord(manifest: manifest.source, index: i, clipID: r.clipID,
                        problem: "--dominant-right needs both hands in each frame, but \(r.landmarks) holds \(clip.layout.explained) "
                                 + "(import frame-npy --hand both; for one hand see --mirror-left)")
                }
                let (canonical, mirrored) = clip.dominantHandOnTheRight()
                clip = canonical
                if mirrored { summary.dominantMirrored += 1 }
            }
            if options.fillGaps > 0 {
                let (filled, count) = clip.fillingGaps(upTo: options.fillGaps)
                clip = filled
                summary.filledFrames += count
            }
            if let first = clips.first, first.layout != clip.layout {
                let a = records[kept[0]]
                throw DatasetError.badRecord(manifest: manifest.source, index: i, clipID: r.clipID,
                    problem: "mixed frame layouts: \(r.landmarks) holds \(clip.layout.explained) a frame, but \(a.landmarks) "
                             + "(clip '\(a.clipID)', record \(kept[0])) holds \(first.layout.explained); one dataset has one layout "
                             + "(import them with the same --hand/--pose)")
            }
            clips.append(clip)
        }
        summary.fillGaps = options.fillGaps
        summary.dominantRight = options.dominantRight
        summary.layout = clips.first?.layout ?? .hand
        let length: Int
        if options.staticFrames {
            length = 1
            clips = clips.map { $0.staticFrame() }
        } else if let l = options.sequenceLength {
            length = l
            clips = clips.map { $0.resampled(to: l) }
        } else {
            length = clips[0].frameCount
            if let odd = clips.firstIndex(where: { $0.frameCount != length }) {
                let (a, b) = (records[kept[0]], records[kept[odd]])
                throw DatasetError.badRecord(manifest: manifest.source, index: kept[odd], clipID: b.clipID,
                    problem: "mixed sequence lengths: \(clips[odd].frameCount) frames, but clip '\(a.clipID)' (record \(kept[0])) has \(length); "
                             + "pass --sequence-length T to resample/pad, or --static for one frame per clip")
            }
            guard length > 0 else {
                throw DatasetError.badRecord(manifest: manifest.source, index: kept[0], clipID: records[kept[0]].clipID,
                                             problem: "every clip has 0 frames")
            }
        }
        summary.sequenceLength = length

        // Splits.
        let labels = kept.map { classOf[records[$0].label]! }
        let split: [Int]
        var fractions = options.splits
        if options.useSourceSplit {
            split = try kept.map { i in
                let r = records[i]
                guard let name = r.split, let s = SplitAssignment.splitIndex(of: name) else {
                    throw DatasetError.badRecord(manifest: manifest.source, index: i, clipID: r.clipID,
                        problem: r.split.map { "split '\($0)' is not train, val or test" } ?? "no 'split' field (needed by --use-source-split)")
                }
                return s
            }
            fractions = (0..<3).map { s in split.contains(s) ? 1 : 0 }
        } else if let groupBy = options.groupBy {
            let groups = try kept.map { i -> String in
                let r = records[i]
                switch groupBy {
                case .signer:
                    guard let signer = r.signer, !signer.isEmpty else {
                        throw DatasetError.badRecord(manifest: manifest.source, index: i, clipID: r.clipID,
                                                     problem: "no 'signer' (needed by --group-by signer)")
                    }
                    return signer
                case .source: return r.sourceFile
                }
            }
            split = try SplitAssignment.grouped(groups: groups, fractions: fractions, rng: &rng)
            summary.groupsPerSplit = (0..<3).map { s in Set(groups.indices.filter { split[$0] == s }.map { groups[$0] }).count }
        } else {
            split = try SplitAssignment.stratified(labels: labels, classCount: labelNames.count, labelNames: labelNames,
                                                   fractions: fractions, rng: &rng)
        }
        summary.counts = (0..<3).map { s in
            var row = [Int](repeating: 0, count: labelNames.count)
            for (k, l) in labels.enumerated() where split[k] == s { row[l] += 1 }
            return row
        }
        try checkEveryClassInEverySplit(summary, fractions: fractions, how: options)

        for (c, name) in labelNames.enumerated() {
            let total = summary.counts.reduce(0) { $0 + $1[c] }
            if total < options.fewSamplesWarning {
                summary.warnings.append("class '\(name)' has only \(total) samples (fewer than \(options.fewSamplesWarning)); its scores will be noisy")
            }
        }

        // What a model trained on these clips must do to its input too: the gap filling done
        // here, and the left-hand mirroring the manifest was made with (any record says so).
        let mirrored = kept.contains { i in
            let m = records[i].metadata
            return m[LandmarkRecord.mirrorLeftKey] == .bool(true) || m["mirrored"] == .bool(true)
        }
        let preprocessing = Dataset.Preprocessing(fillGaps: options.fillGaps, mirrorLeft: mirrored, dominantRight: options.dominantRight)

        // Assemble and write.
        let datasets = (0..<3).map { s -> Dataset in
            let members = split.indices.filter { split[$0] == s }
            var values = [Float](), masks = [Bool]()
            values.reserveCapacity(members.count * length * summary.layout.values)
            for k in members { values += clips[k].values; masks += clips[k].mask }
            let rs = members.map { records[kept[$0]] }
            let metadata = Dataset.SampleMetadata(
                clipIDs: rs.map(\.clipID), sourceFiles: rs.map(\.sourceFile), signers: rs.map { $0.signer ?? "" },
                detectionRates: rs.map { Float($0.detectionRate) }, frameCounts: rs.map(\.frameCount), hasZ: rs.map(\.hasZ),
                recovered: rs.map { record -> String in
                    if case .string(let attempt)? = record.metadata[LandmarkRecord.recoveredKey] { return attempt }
                    return ""
                })
            var dataset = Dataset(sequences: Tensor(shape: [members.count, length, summary.layout.points, 3], scalars: values), masks: masks,
                                  labels: members.map { labels[$0] }, labelNames: labelNames, metadata: metadata)
            dataset.preprocessing = preprocessing
            return dataset
        }
        // All three outputs must be writable before any is written, so a folder that refuses
        // them leaves no train.npz without its val/test.
        for url in options.outputURLs {
            do { try OutputFile.checkWritable(url) } catch let problem as FileProblem {
                throw DatasetError.file(problem)
            }
        }
        // A killed build's temporary files go; the three files are replaced together, so a build
        // stopped at any moment leaves the old set or part of the new one, never a mix.
        for folder in Set(options.outputURLs.map { $0.deletingLastPathComponent().path }) {
            OutputFile.removeStaleTemporaries(in: URL(fileURLWithPath: folder))
        }
        do {
            try OutputFile.writeTogether(zip(datasets, options.outputURLs).map { dataset, url in
                (url, { temp in try dataset.write(temporary: temp, for: url, compressed: options.compressed) })
            })
        } catch let problem as FileProblem { throw DatasetError.file(problem) }
        if options.verbose {
            for (dataset, url) in zip(datasets, options.outputURLs) { log("wrote \(url.path) (\(dataset.count) samples)") }
        }
        summary.outputs = options.outputURLs
        return summary
    }

    /// All labels of the manifest, ordered by `label_index` when every record has one (so the
    /// order follows the upstream label file), otherwise by name. Conflicting indices are errors.
    static func classList(_ records: [LandmarkRecord], manifest: String) throws -> [String] {
        var indexOf = [String: Int](), labelAt = [Int: String]()
        guard records.allSatisfy({ $0.labelIndex != nil }) else {
            return Set(records.map(\.label)).sorted()
        }
        for (i, r) in records.enumerated() {
            let index = r.labelIndex!
            if let known = indexOf[r.label], known != index {
                throw DatasetError.badRecord(manifest: manifest, index: i, clipID: r.clipID,
                                             problem: "label '\(r.label)' has label_index \(index) here but \(known) elsewhere")
            }
            if let other = labelAt[index], other != r.label {
                throw DatasetError.badRecord(manifest: manifest, index: i, clipID: r.clipID,
                                             problem: "label_index \(index) is used by '\(other)' and '\(r.label)'")
            }
            indexOf[r.label] = index
            labelAt[index] = r.label
        }
        // Upstream indices may have gaps (an MS-ASL subset keeps its global 0…999 class ids):
        // keep their order but number the present classes densely; `label_names` keeps the names.
        let indices = labelAt.keys.sorted()
        return indices.map { labelAt[$0]! }
    }

    /// A class present in one non-empty split but absent from another makes that split's scores
    /// meaningless (and breaks per-class metrics): refuse, naming every such class.
    static func checkEveryClassInEverySplit(_ summary: BuildSummary, fractions: [Double], how options: BuildOptions) throws {
        var problems = [String]()
        for s in 0..<3 where fractions[s] > 0 && summary.sampleCounts[s] > 0 {
            let missing = summary.labelNames.indices.filter { summary.counts[s][$0] == 0 }
            if !missing.isEmpty {
                problems.append("\(BuildOptions.splitNames[s]) lacks " + missing.map { "'\(summary.labelNames[$0])'" }.joined(separator: ", "))
            }
        }
        guard problems.isEmpty else {
            let how = options.useSourceSplit ? "the source split" : options.groupBy.map { "--group-by \($0.rawValue)" } ?? "the split"
            throw DatasetError.unsplittable("with \(how), a label is present in one split but absent from another: "
                + problems.joined(separator: "; ") + ". Try another --seed, other --splits, or more data for these classes")
        }
    }
}
