import TensorCore
import Foundation

/// What an importer did, as numbers a user can check against the source: clips written per
/// label, everything skipped (by reason, with its count), and warnings.
public struct ImportSummary: Equatable, Sendable {
    public var format: String
    public var manifestURL: URL
    /// Clips written, by label, in label order of first appearance.
    public var clipsPerLabel: [(label: String, count: Int)] = []
    /// Inputs not turned into clips: reason → count (never silently dropped).
    public var skipped: [String: Int] = [:]
    /// Detected frames masked because the wrist→MCP distance was degenerate.
    public var degenerateFrames = 0
    /// Frames holding NaN or ±Infinity (some exporters' way of saying "no hand"): zeroed and masked.
    public var nonFiniteFrames = 0
    public var warnings: [String] = []
    /// Clips an earlier, interrupted run had finished, kept as they were (`--resume`).
    public var kept = 0
    /// Extra report lines (e.g. detection rate per class), printed before the warnings.
    public var notes: [String] = []
    /// The report's first word: "imported" for files read, "generated" for `synth`.
    public var verb = "imported"

    public var clipCount: Int { clipsPerLabel.reduce(0) { $0 + $1.count } }

    public static func == (a: ImportSummary, b: ImportSummary) -> Bool {
        a.format == b.format && a.manifestURL == b.manifestURL && a.skipped == b.skipped
            && a.degenerateFrames == b.degenerateFrames && a.nonFiniteFrames == b.nonFiniteFrames && a.warnings == b.warnings
            && a.clipsPerLabel.map(\.label) == b.clipsPerLabel.map(\.label)
            && a.clipsPerLabel.map(\.count) == b.clipsPerLabel.map(\.count)
    }

    /// Plain-text report printed by the `import` command.
    public var text: String {
        let classes = clipsPerLabel.count
        var lines = ["\(verb) \(clipCount) clip\(clipCount == 1 ? "" : "s") in \(classes) class\(classes == 1 ? "" : "es") from \(format) → \(manifestURL.path)"]
        for (label, count) in clipsPerLabel { lines.append("  \(label): \(count)") }
        // A reason counted zero times (e.g. no stray files beside the folders) is not news.
        for reason in skipped.keys.sorted() where skipped[reason]! > 0 { lines.append("skipped \(skipped[reason]!): \(reason)") }
        if kept > 0 { lines.append("kept \(kept) clip\(kept == 1 ? "" : "s") an earlier run had finished (--resume)") }
        if degenerateFrames > 0 { lines.append("masked \(degenerateFrames) frames with a degenerate wrist→MCP distance") }
        if nonFiniteFrames > 0 { lines.append("masked \(nonFiniteFrames) frames holding NaN/Inf (treated as no hand)") }
        lines += notes
        lines += warnings.map { "warning: \($0)" }
        return lines.joined(separator: "\n")
    }
}

/// Shared output of every importer: `<out>/landmarks/<clip_id>.npy` + `.mask.npy`, then
/// `<out>/<manifest name>` written last (atomically), so a failed import leaves no manifest
/// pointing at half the clips. The manifest name may also be a relative path (inside `<out>`)
/// or an absolute path anywhere; the landmark paths it records are always relative to its own
/// folder, which is what `LandmarkManifest.read` resolves them against.
public struct ImportWriter {
    public let outputDirectory: URL
    public let manifestURL: URL
    /// From the manifest's folder to `outputDirectory` ("" when the manifest is in it, else e.g.
    /// "../alphabet/"), put before every recorded landmark path.
    let landmarkPrefix: String
    public private(set) var records: [LandmarkRecord] = []
    public var summary: ImportSummary
    private var labelOrder: [String: Int] = [:]
    /// Clip id of each file stem written, so two ids never share a file.
    private var stemOwners: [String: String] = [:]
    /// Where each finished clip is noted as soon as its files are in place (long runs: see
    /// `ImportJournal`); nil for quick imports, which only write the manifest.
    public var journal: ImportJournal?

    public init(outputDirectory: URL, manifestName: String, format: String) {
        self.outputDirectory = outputDirectory
        // An absolute name used to be appended under the folder ("alpha4/elsewhere/m.json"); it is
        // now a path of its own.
        manifestURL = manifestName.hasPrefix("/") ? URL(fileURLWithPath: manifestName).standardizedFileURL
            : outputDirectory.appendingPathComponent(manifestName)
        landmarkPrefix = relativePath(from: manifestURL.deletingLastPathComponent(), to: outputDirectory)
        summary = ImportSummary(format: format, manifestURL: manifestURL)
    }

    /// Makes the output folders and checks the manifest can be written there, so a long
    /// extraction fails at once ("PATH: cannot write: permission denied") rather than after
    /// tracking its first clip.
    public func checkWritable() throws {
        try ClipFileWriter.makeFolder(outputDirectory.appendingPathComponent("landmarks"))
        // What a killed run was writing when it stopped (temporary names) is not wanted.
        for folder in [outputDirectory, outputDirectory.appendingPathComponent("landmarks"), manifestURL.deletingLastPathComponent()] {
            OutputFile.removeStaleTemporaries(in: folder)
        }
        do { try OutputFile.checkWritable(manifestURL) } catch let problem as FileProblem {
            throw DatasetError.file(problem)
        }
    }

    /// Normalises the clip (LandmarkNormalizer) and writes it; `record` gets file paths and counts.
    public mutating func add(_ clip: LandmarkClip, clipID: String, label: String, labelIndex: Int? = nil,
                      sourceFile: String, signer: String? = nil, split: String? = nil,
                      hasZ: Bool, fps: Double? = nil, metadata: [String: JSONValue] = [:]) throws {
        var clip = clip
        summary.nonFiniteFrames += clip.maskNonFiniteFrames()
        summary.degenerateFrames += LandmarkNormalizer.normalize(&clip, useZ: hasZ)
        let stem = "landmarks/\(fileStem(for: clipID))"
        if records.isEmpty { try ClipFileWriter.makeFolder(outputDirectory.appendingPathComponent("landmarks")) }
        try ClipFileWriter.write(clip.landmarkArray, to: outputDirectory.appendingPathComponent(stem + ".npy"))
        try ClipFileWriter.write(clip.maskArray, to: outputDirectory.appendingPathComponent(stem + ".mask.npy"))
        records.append(LandmarkRecord(clipID: clipID, label: label, labelIndex: labelIndex, sourceFile: sourceFile,
                                      signer: signer, split: split, frameCount: clip.frameCount,
                                      detectedFrames: clip.detectedFrames, landmarks: landmarkPrefix + stem + ".npy",
                                      mask: landmarkPrefix + stem + ".mask.npy", hasZ: hasZ, fps: fps,
                                      normalisation: LandmarkNormalizer.name, metadata: metadata))
        try journal?.append(JournalEntry(clipID: clipID, record: records.last!))
        if let i = labelOrder[label] {
            summary.clipsPerLabel[i].count += 1
        } else {
            labelOrder[label] = summary.clipsPerLabel.count
            summary.clipsPerLabel.append((label, 1))
        }
    }

    /// The file name (without extension) for a clip id: the id itself when it is a plain file
    /// name; otherwise (`http://…`, `../x`, `a/b`, from a hand-edited or old manifest) its
    /// `clipIDComponent` + `-` + a hash of the id, so no id can name a file outside `landmarks/`
    /// and two ids never share a file. The record keeps the id and the real path.
    mutating func fileStem(for clipID: String) -> String {
        var stem = clipID
        if !isPlainFileName(clipID) {
            stem = clipIDComponent(clipID)
            if stem.hasPrefix(".") { stem = "_" + stem.dropFirst() }
            stem = String(stem.prefix(150)) + "-" + StableHash.hex8(clipID)
        }
        if let owner = stemOwners[stem], owner != clipID { stem += "-" + StableHash.hex8(clipID) }
        stemOwners[stem] = clipID
        return stem
    }

    /// Letters, digits and `. _ - #` (the ids importers and the pipeline make), no leading dot,
    /// at most 200 bytes.
    func isPlainFileName(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 200 && !id.hasPrefix(".")
            && id.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-#".unicodeScalars.contains($0)) }
    }

    /// Keeps a record written by an earlier, interrupted run (`--resume`) without rewriting it.
    public mutating func adopt(_ record: LandmarkRecord) {
        records.append(record)
        summary.kept += 1
        let name = (record.landmarks as NSString).lastPathComponent
        if name.hasSuffix(".npy") { stemOwners[String(name.dropLast(4))] = record.clipID }
        if let i = labelOrder[record.label] {
            summary.clipsPerLabel[i].count += 1
        } else {
            labelOrder[record.label] = summary.clipsPerLabel.count
            summary.clipsPerLabel.append((record.label, 1))
        }
    }

    /// Keeps an earlier run's outcome of one input (`--resume`): its clip, or why it made none.
    public mutating func keep(_ entry: JournalEntry) {
        if let record = entry.record { adopt(record) } else { skip(entry.skipped ?? "skipped") }
    }

    public mutating func skip(_ reason: String, count: Int = 1) {
        guard count > 0 else { return }
        summary.skipped[reason, default: 0] += count
    }

    /// An input tracking made no clip of (`reason`, and the line it added to the run's log),
    /// noted in the journal so `--resume` does not track it again.
    public mutating func skipTracked(_ clipID: String, reason: String, log: String? = nil) throws {
        skip(reason)
        try journal?.append(JournalEntry(clipID: clipID, skipped: reason, log: log))
    }

    /// Writes the manifest of the complete run; its journal is no longer needed.
    public func finish() throws -> (manifest: LandmarkManifest, summary: ImportSummary) {
        let result = try writeManifest()
        journal?.remove()
        return result
    }

    /// Writes the manifest of the clips finished so far (a cancelled run); the journal stays, so
    /// `--resume` also knows the inputs that made no clip and their log lines.
    public func writeManifest() throws -> (manifest: LandmarkManifest, summary: ImportSummary) {
        let manifest = LandmarkManifest(records: records, baseDirectory: manifestURL.deletingLastPathComponent(),
                                        source: manifestURL.path)
        try manifest.write(to: manifestURL)
        return (manifest, summary)
    }
}

/// The relative path from folder `base` to folder `target`, ending in "/" ("" when they are the
/// same folder): `../alphabet/` from `/d/elsewhere` to `/d/alphabet`.
func relativePath(from base: URL, to target: URL) -> String {
    let from = base.standardizedFileURL.pathComponents, to = target.standardizedFileURL.pathComponents
    var common = 0
    while common < min(from.count, to.count), from[common] == to[common] { common += 1 }
    let ups = Array(repeating: "..", count: from.count - common)
    let parts = ups + to[common...]
    return parts.isEmpty ? "" : parts.joined(separator: "/") + "/"
}

/// File-name-safe clip id part: letters, digits, `-` and `.` kept, anything else (spaces,
/// slashes) becomes `_` ("i love you" → "i_love_you").
public func clipIDComponent(_ text: String) -> String {
    String(text.unicodeScalars.map { scalar -> Character in
        let c = Character(scalar)
        return (scalar.isASCII && (c.isLetter || c.isNumber)) || c == "-" || c == "." ? c : "_"
    })
}

/// Visible entries of a folder (hidden files skipped), or an error naming the folder.
func folderEntries(_ url: URL) throws -> [URL] {
    do {
        return try FolderListing.entries(of: url)
    } catch {
        throw DatasetError.file(FileProblem.isFolder(url.path) ? .reading(url.path, error: error)
                                : FileProblem.missing(url.path, folder: true))
    }
}

func isDirectory(_ url: URL) -> Bool {
    var flag: ObjCBool = false
    return FileManager.default.fileExists(atPath: url.path, isDirectory: &flag) && flag.boolValue
}

/// Sorts by name, numerically when every name is an integer ("2" before "10").
func sortedNumericallyWhenPossible(_ urls: [URL], name: (URL) -> String = { $0.lastPathComponent }) -> [URL] {
    let numbers = urls.map { Int(name($0)) }
    if !numbers.contains(where: { $0 == nil }) {
        return zip(urls, numbers).sorted { $0.1! < $1.1! }.map(\.0)
    }
    return urls.sorted { name($0) < name($1) }
}
