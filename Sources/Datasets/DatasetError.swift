import TensorCore

/// Every failure of the dataset stage (manifests, importers, `build`, the `.npz` loader). Each
/// case says where: the file, the manifest record (index and clip id), the CSV line, the array.
public enum DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A file or folder that is missing, unreadable or cannot be written, in the shared words
    /// ("PATH: no such file", "PATH: cannot write: permission denied"; see `FileProblem`).
    case file(FileProblem)
    /// An `.npy`/`.npz` that cannot be read as an array file (its own words: "not a valid npz (…)").
    case arrayFile(ArrayFileError)
    /// The manifest is not a JSON array of landmark records (`detail` carries JSON's own position).
    case malformedManifest(file: String, detail: String)
    /// A manifest record is inconsistent or points at unusable data.
    case badRecord(manifest: String, index: Int, clipID: String, problem: String)
    /// A landmark or mask `.npy` is missing, has the wrong shape, or holds NaN/Inf.
    case badLandmarkFile(file: String, record: Int?, clipID: String?, problem: String)
    /// A line of a CSV input (1-based line numbers, counting the header when there is one).
    case badInputLine(file: String, line: Int, problem: String)
    /// An input file or folder that an importer cannot use as a whole.
    case badInput(file: String, problem: String)
    /// Contradictory or out-of-range options (`--splits` not summing to 1, …).
    case invalidOptions(String)
    /// The samples cannot be split as asked (a class missing from a split, too few signers, …).
    case unsplittable(String)
    /// A class with no samples left (named, with why).
    case emptyClass(label: String, reason: String)
    /// An `.npz` that is not a valid aslsh dataset (missing array, wrong shape or dtype).
    case invalidDataset(file: String, array: String?, problem: String)

    public var description: String {
        switch self {
        case .file(let problem): return problem.description
        case .arrayFile(let error): return error.description
        case .malformedManifest(let file, let detail):
            return FileProblem.malformed(file, format: "landmark manifest", detail).description
        case .badRecord(let manifest, let index, let clipID, let problem):
            return "\(manifest): record \(index) (clip '\(clipID)'): \(problem)"
        case .badLandmarkFile(let file, let record, let clipID, let problem):
            var place = file
            if let record { place += " (record \(record)" + (clipID.map { ", clip '\($0)'" } ?? "") + ")" }
            return "\(place): \(problem)"
        case .badInputLine(let file, let line, let problem):
            return "\(file):\(line): \(problem)"
        case .badInput(let file, let problem):
            return "\(file): \(problem)"
        case .invalidOptions(let problem):
            return "invalid options: \(problem)"
        case .unsplittable(let problem):
            return "cannot split: \(problem)"
        case .emptyClass(let label, let reason):
            return "class '\(label)' has no samples: \(reason)"
        case .invalidDataset(let file, let array, let problem):
            return "\(file)" + (array.map { " [\($0)]" } ?? "") + ": not a valid dataset (\(problem))"
        }
    }
}
