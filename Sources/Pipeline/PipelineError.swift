import Foundation
import TensorCore

/// The one error type of the Pipeline module: each case says where (file, line:column, record).
public enum PipelineError: Error, CustomStringConvertible, Equatable {
    /// The file is not valid JSON; line and column are 1-based.
    case malformedJSON(file: String, line: Int, column: Int, message: String)
    /// A line of a text file (a class list) that is wrong; `line` is 1-based.
    case badLine(file: String, line: Int, message: String)
    /// Valid JSON, but not a layout this stage knows (or not the one `--format` named).
    case unrecognisedLayout(file: String, message: String)
    /// A manifest record is missing a field this stage needs.
    case badRecord(file: String, index: Int, message: String)
    /// Missing, unreadable or unwritable, in the shared words (`FileProblem`): "no such file",
    /// "cannot write: permission denied", …
    case io(file: String, message: String)
    /// A flag value is out of range or contradicts another flag.
    case invalidOption(flag: String, message: String)
    /// A required outside program (yt-dlp, …) is not installed.
    case toolMissing(tool: String, message: String)
    /// Shards that cannot be merged (missing, overlapping, still running, from another input):
    /// `file` is the manifest being merged (or the offending shard's file).
    case shards(file: String, message: String)

    /// A `FileProblem` as the pipeline's error.
    public static func file(_ problem: FileProblem) -> PipelineError { .io(file: problem.path, message: problem.reason) }

    public var description: String {
        switch self {
        case let .malformedJSON(file, line, column, message):
            return "\(file):\(line):\(column): not valid JSON (\(message))"
        case let .badLine(file, line, message): return "\(file):\(line): \(message)"
        case let .unrecognisedLayout(file, message): return "\(file): \(message)"
        case let .badRecord(file, index, message): return "\(file): record \(index): \(message)"
        case let .io(file, message): return "\(file): \(message)"
        case let .invalidOption(flag, message): return "\(flag): \(message)"
        case let .toolMissing(tool, message): return "\(tool) not found: \(message)"
        case let .shards(file, message): return "\(file): \(message)"
        }
    }
}
