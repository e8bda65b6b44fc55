import Foundation
import TensorCore

/// Which metadata layout an intake input uses.
public enum MetadataFormat: String, Sendable, CaseIterable {
    case msasl, wlasl, auto
}

/// `intake FILE… --output --max-classes --clips-per-class --seed --verbose --format --classes`.
public struct IntakeOptions: Sendable {
    /// One or more metadata files of the same format (e.g. MSASL_train/val/test.json).
    public var inputs: [URL]
    /// Where to write the manifest (`manifest.json`); nil = do not write.
    public var output: URL?
    /// Keep only the N most frequent classes (ties: lower label index first).
    public var maxClasses: Int?
    /// Seeded, balanced sample of at most K clips per class.
    public var clipsPerClass: Int?
    public var seed: UInt64
    /// List every skipped entry in the summary.
    public var verbose: Bool
    public var format: MetadataFormat
    /// Class names: `MSASL_classes.json` or `wlasl_class_list.txt`; nil = look beside the input.
    public var classes: URL?

    public init(inputs: [URL], output: URL? = nil, maxClasses: Int? = nil, clipsPerClass: Int? = nil,
                seed: UInt64 = 0, verbose: Bool = false, format: MetadataFormat = .auto, classes: URL? = nil) {
        self.inputs = inputs
        self.output = output
        self.maxClasses = maxClasses
        self.clipsPerClass = clipsPerClass
        self.seed = seed
        self.verbose = verbose
        self.format = format
        self.classes = classes
    }
}

public struct IntakeResult: CustomStringConvertible, Sendable {
    public var records: [ClipRecord]
    public var format: MetadataFormat
    /// Entries read before selection (after skipping).
    public var entriesRead: Int
    public var skipped: SkipLog
    public var classCount: Int
    public var output: URL?
    public var verbose: Bool

    public var description: String {
        var lines = ["intake (\(format.rawValue)): \(records.count) clips, \(classCount) classes, "
                     + "\(Set(records.map(\.videoID)).count) videos (from \(entriesRead) valid entries)"]
        if skipped.total > 0 {
            lines.append("skipped \(skipped.total):")
            for (reason, count) in skipped.counts.sorted(by: { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }) {
                lines.append("  \(count)  \(reason)")
            }
            if verbose { lines += skipped.entries.map { "  - \($0)" } }
        }
        if let output { lines.append("wrote \(output.path)") }
        return lines.joined(separator: "\n")
    }
}

public enum Intake {
    public static func run(_ options: IntakeOptions) throws -> IntakeResult {
        guard !options.inputs.isEmpty else { throw PipelineError.invalidOption(flag: "FILE", message: "no input file") }
        if let n = options.maxClasses, n <= 0 {
            throw PipelineError.invalidOption(flag: "--max-classes", message: "must be positive, got \(n)")
        }
        if let k = options.clipsPerClass, k <= 0 {
            throw PipelineError.invalidOption(flag: "--clips-per-class", message: "must be positive, got \(k)")
        }
        var skip = SkipLog()
        var all: [ClipRecord] = []
        var detected: MetadataFormat? = nil
        for input in options.inputs {
            let json = try JSONFile.read(input)
            let layout = try Layout.detect(json, file: input)
            if options.format != .auto && options.format != layout.format {
                throw PipelineError.unrecognisedLayout(
                    file: input.path, message: "--format \(options.format.rawValue) but the file is \(layout.format.rawValue) (\(layout))")
            }
            if let detected, detected != layout.format {
                throw PipelineError.unrecognisedLayout(file: input.path, message: "mixes \(layout.format.rawValue) with \(detected.rawValue) inputs")
            }
            detected = layout.format
            switch layout {
            case let .msasl(entries):
                let classes = try msaslClasses(options.classes, beside: input)
                all += MSASLIntake.records(entries, file: input, classes: classes, skip: &skip)
            case let .wlaslGlosses(glosses):
                all += WLASLIntake.fromGlosses(glosses, file: input, skip: &skip)
            case let .wlaslNSLT(entries):
                let list = options.classes ?? sibling(input, "wlasl_class_list.txt")
                let classes = try list.map { try WLASLIntake.classList($0) }
                all += WLASLIntake.fromNSLT(entries, file: input, classes: classes, skip: &skip)
            }
        }
        let entriesRead = all.count
        all = uniqueClipIDs(all)
        let selected = select(all, maxClasses: options.maxClasses, clipsPerClass: options.clipsPerClass, seed: options.seed)
        if let output = options.output { try Manifest.write(selected, to: output) }
        return IntakeResult(records: selected, format: detected ?? .auto, entriesRead: entriesRead, skipped: skip,
                            classCount: Set(selected.map(\.labelIndex)).count, output: options.output,
                            verbose: options.verbose)
    }

    /// Most frequent classes first (ties by label index), then a seeded per-class sample; the
    /// result is ordered by label index, then by input order.
    static func select(_ records: [ClipRecord], maxClasses: Int?, clipsPerClass: Int?, seed: UInt64) -> [ClipRecord] {
        var byClass: [Int: [Int]] = [:]
        for (i, r) in records.enumerated() { byClass[r.labelIndex, default: []].append(i) }
        var classes = byClass.keys.sorted { (byClass[$0]!.count, -$0) > (byClass[$1]!.count, -$1) }
        if let maxClasses { classes = Array(classes.prefix(maxClasses)) }
        var keep: [Int] = []
        for label in classes.sorted() {
            var members = byClass[label]!
            if let k = clipsPerClass, members.count > k {
                // One generator per class, seeded by (seed, label): a class's sample does not
                // change when --max-classes admits more or fewer other classes.
                var random = SeededRandom(seed: seed &+ UInt64(label) &* 0x9E37_79B9_7F4A_7C15)
                members = random.permutation(members.count).prefix(k).map { members[$0] }.sorted()
            }
            keep += members
        }
        return keep.map { records[$0] }
    }

    /// The same video and span listed twice (MS-ASL has such duplicates) get `#2`, `#3` suffixes.
    static func uniqueClipIDs(_ records: [ClipRecord]) -> [ClipRecord] {
        var seen: [String: Int] = [:]
        return records.map { record in
            var r = record
            let n = seen[r.clipID, default: 0] + 1
            seen[r.clipID] = n
            if n > 1 { r.clipID += "#\(n)" }
            return r
        }
    }

    private static func msaslClasses(_ explicit: URL?, beside input: URL) throws -> [String]? {
        guard let url = explicit ?? sibling(input, "MSASL_classes.json") else { return nil }
        guard let items = try JSONFile.read(url).array else {
            throw PipelineError.unrecognisedLayout(file: url.path, message: "class list must be a JSON array of names")
        }
        // Every entry must be a name, once: dropping one would shift every later class's name,
        // and a name given twice would merge two classes.
        var firstIndex: [String: Int] = [:]
        return try items.enumerated().map { index, item in
            guard let name = item.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines), !name.isEmpty else {
                throw PipelineError.badRecord(file: url.path, index: index, message: "class name should be a non-empty string, got \(item)")
            }
            if let earlier = firstIndex[name] {
                throw PipelineError.badRecord(file: url.path, index: index, message: "class '\(name)' is already entry \(earlier)")
            }
            firstIndex[name] = index
            return name
        }
    }

    private static func sibling(_ input: URL, _ name: String) -> URL? {
        let url = input.deletingLastPathComponent().appendingPathComponent(name)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }
}

/// The layouts `intake` recognises, detected from the JSON's shape.
enum Layout: CustomStringConvertible {
    case msasl([JSONValue])
    case wlaslGlosses([JSONValue])
    case wlaslNSLT([String: JSONValue])

    var format: MetadataFormat {
        switch self {
        case .msasl: return .msasl
        case .wlaslGlosses, .wlaslNSLT: return .wlasl
        }
    }

    var description: String {
        switch self {
        case .msasl: return "MS-ASL record array"
        case .wlaslGlosses: return "WLASL_v0.3 gloss array"
        case .wlaslNSLT: return "WLASL nslt video map"
        }
    }

    static func detect(_ json: JSONValue, file: URL) throws -> Layout {
        if let array = json.array {
            let first = array.first(where: { $0.object != nil })?.object ?? [:]
            if first["gloss"] != nil || first["instances"] != nil { return .wlaslGlosses(array) }
            if first["url"] != nil || first["label"] != nil || array.isEmpty { return .msasl(array) }
        } else if let object = json.object {
            if object.values.first?.object?["action"] != nil || object.isEmpty { return .wlaslNSLT(object) }
        }
        throw PipelineError.unrecognisedLayout(
            file: file.path, message: "not MS-ASL (array of {url, label, …}), WLASL_v0.3 (array of {gloss, instances}) "
                + "or WLASL nslt ({video_id: {subset, action}})")
    }
}

extension JSONValue {
    /// The value with NaN and ±Infinity (which JSON cannot hold) replaced by null, so the source
    /// fields kept under a record's `metadata` can always be written back out.
    var withoutNonFiniteNumbers: JSONValue {
        switch self {
        case let .double(v) where !v.isFinite: return .null
        case let .array(a): return .array(a.map(\.withoutNonFiniteNumbers))
        case let .object(o): return .object(o.mapValues(\.withoutNonFiniteNumbers))
        default: return self
        }
    }
}
