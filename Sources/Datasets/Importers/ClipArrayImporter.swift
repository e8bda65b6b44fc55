import Foundation
import TensorCore

/// A folder of per-clip landmark arrays, `[T,21,3]` (or `[T,63]`, or `[21,3]` for one frame),
/// float32/float64. Labels come from the sub-folder (`<label>/<clip>.npy`) or, when a label CSV
/// is given, from its `file,label` columns (optional `signer`, `split`; paths relative to the
/// CSV). A sibling `<clip>.mask.npy` is used as the mask; without one, an all-zero frame is
/// "no hand" (mask 0), and so is a frame holding NaN or Inf (zeroed, counted in the summary).
/// Landmarks are re-normalised (`LandmarkNormalizer`, idempotent).
public enum ClipArrayImporter {
    public static let format = "per-clip [T,21,3] .npy arrays"

    public struct Options: Sendable {
        /// `file,label[,signer][,split]` with a header; nil = labels from sub-folder names.
        public var labelCSV: URL?
        /// False when the arrays' z is not real depth (z is then zeroed and recorded absent).
        public var hasZ = true
        public var fps: Double?
        public var manifestName = "manifest.json"
        public init(labelCSV: URL? = nil, hasZ: Bool = true, fps: Double? = nil) {
            self.labelCSV = labelCSV
            self.hasZ = hasZ
            self.fps = fps
        }
    }

    struct Entry {
        var file: URL
        var label: String
        var signer: String?
        var split: String?
    }

    @discardableResult
    public static func run(root: URL, to outputDirectory: URL, options: Options = Options()) throws -> ImportSummary {
        var writer = ImportWriter(outputDirectory: outputDirectory, manifestName: options.manifestName, format: format)
        let entries = try options.labelCSV.map { try entriesFromCSV($0, writer: &writer) } ?? entriesFromFolders(root, writer: &writer)
        guard !entries.isEmpty else { throw DatasetError.badInput(file: root.path, problem: "no clip .npy files found") }
        var usedIDs = Set<String>()
        for entry in entries {
            var clip = try readClip(entry.file)
            if !options.hasZ { for i in stride(from: 2, to: clip.values.count, by: 3) { clip.values[i] = 0 } }
            let stem = entry.file.deletingPathExtension().lastPathComponent
            var clipID = "\(clipIDComponent(entry.label))_\(clipIDComponent(stem))"
            var suffix = 2
            while usedIDs.contains(clipID) { clipID = "\(clipIDComponent(entry.label))_\(clipIDComponent(stem))_\(suffix)"; suffix += 1 }
            usedIDs.insert(clipID)
            try writer.add(clip, clipID: clipID, label: entry.label, sourceFile: entry.file.path,
                           signer: entry.signer, split: entry.split, hasZ: options.hasZ, fps: options.fps)
        }
        return try writer.finish().summary
    }

    static func entriesFromFolders(_ root: URL, writer: inout ImportWriter) throws -> [Entry] {
        var entries = [Entry]()
        for folder in try folderEntries(root).filter(isDirectory).sorted(by: { $0.lastPathComponent < $1.lastPathComponent }) {
            let files = try folderEntries(folder)
            let clips = sortedNumericallyWhenPossible(files.filter(isClipFile),
                                                      name: { $0.deletingPathExtension().lastPathComponent })
            let masks = files.filter { $0.lastPathComponent.hasSuffix(".mask.npy") }.count
            writer.skip("files that are neither clips nor masks", count: files.count - clips.count - masks)
            if clips.isEmpty { writer.summary.warnings.append("label folder '\(folder.lastPathComponent)' holds no clips") }
            entries += clips.map { Entry(file: $0, label: folder.lastPathComponent) }
        }
        return entries
    }

    /// A row naming a file an earlier row named is skipped (counted, with a warning naming both
    /// lines): importing it twice would put one clip in two splits. With another label it is an
    /// error, since either label could be the wrong one.
    static func entriesFromCSV(_ csv: URL, writer: inout ImportWriter) throws -> [Entry] {
        let rows = try CSVText.read(csv)
        guard let header = rows.first else { throw DatasetError.badInput(file: csv.path, problem: "empty label CSV") }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let fileColumn = names.firstIndex(of: "file"), let labelColumn = names.firstIndex(of: "label") else {
            throw DatasetError.badInputLine(file: csv.path, line: header.line,
                                            problem: "header needs 'file' and 'label' columns, found \(header.fields)")
        }
        let signerColumn = names.firstIndex(of: "signer"), splitColumn = names.firstIndex(of: "split")
        let base = csv.deletingLastPathComponent()
        var firstRow: [String: (line: Int, label: String)] = [:]
        var entries = [Entry]()
        for row in rows.dropFirst() {
            guard row.fields.count == names.count else {
                throw DatasetError.badInputLine(file: csv.path, line: row.line,
                                                problem: "\(row.fields.count) fields, header has \(names.count)")
            }
            let path = row.fields[fileColumn], label = row.fields[labelColumn]
            guard !label.isEmpty else { throw DatasetError.badInputLine(file: csv.path, line: row.line, problem: "empty label") }
            let file = path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
            guard FileManager.default.fileExists(atPath: file.path) else {
                throw DatasetError.badInputLine(file: csv.path, line: row.line, problem: "\(file.path): no such file")
            }
            func optional(_ column: Int?) -> String? { column.map { row.fields[$0] }.flatMap { $0.isEmpty ? nil : $0 } }
            let key = file.standardizedFileURL.resolvingSymlinksInPath().path
            if let first = firstRow[key] {
                guard first.label == label else {
                    throw DatasetError.badInputLine(file: csv.path, line: row.line,
                                                    problem: "\(path) is labelled '\(label)' here and '\(first.label)' on line \(first.line)")
                }
                writer.skip("label CSV rows repeating an earlier row's file")
                writer.summary.warnings.append("\(csv.lastPathComponent):\(row.line) repeats line \(first.line) (\(path)): skipped")
                continue
            }
            firstRow[key] = (row.line, label)
            entries.append(Entry(file: file, label: label, signer: optional(signerColumn), split: optional(splitColumn)))
        }
        return entries
    }

    static func isClipFile(_ url: URL) -> Bool {
        url.pathExtension == "npy" && !url.lastPathComponent.hasSuffix(".mask.npy")
    }

    /// Reads `[T,21,3]` / `[T,63]` / `[21,3]` (or another layout's `[T,K,3]`) with its sibling
    /// mask if there is one.
    static func readClip(_ file: URL) throws -> LandmarkClip {
        let maskURL = file.deletingPathExtension().appendingPathExtension("mask.npy")
        let array: NDArray
        do { array = try NPY.read(contentsOf: file) } catch let error as ArrayFileError {
            throw DatasetError.arrayFile(error)
        }
        let fail = { (problem: String) in DatasetError.badInput(file: file.path, problem: problem) }
        // NaN/Inf frames are kept here and masked by the writer (counted in the summary).
        let (frames, values, layout) = try LandmarkClip.landmarkValues(array, allowSingleFrame: true, allowNonFinite: true).get(fail)
        let n = layout.values
        var mask = (0..<frames).map { t in values[(t * n)..<((t + 1) * n)].contains { $0 != 0 } }
        if FileManager.default.fileExists(atPath: maskURL.path) {
            let maskArray: NDArray
            do { maskArray = try NPY.read(contentsOf: maskURL) } catch let error as ArrayFileError {
                throw DatasetError.arrayFile(error)
            }
            mask = try LandmarkClip.maskValues(maskArray, frames: frames).get {
                DatasetError.badInput(file: maskURL.path, problem: $0)
            }
        }
        return LandmarkClip(values: values, mask: mask, layout: layout)
    }
}
