import TensorCore

/// Everything the plot module can fail on, with where it happened.
public enum PlotError: Error, CustomStringConvertible, Equatable {
    /// Data whose shape or values cannot be drawn (wrong landmark count, empty series, …).
    case badInput(String)
    /// A metrics log line that is not a JSON object with the expected fields (1-based line).
    case metricsLog(file: String, line: Int, message: String)
    /// No usable font file (FreeType could not open any candidate).
    case font(String)
    /// libpng refused to encode or decode (its message): the bytes are not a valid PNG.
    case png(file: String, message: String)
    /// A file that is missing, unreadable or cannot be written, in the shared words
    /// (`FileProblem`: "no such file", "cannot write: permission denied", …).
    case file(FileProblem)

    public var description: String {
        switch self {
        case .badInput(let m): return "plot: \(m)"
        case .metricsLog(let file, let line, let m): return "\(file):\(line): \(m)"
        case .font(let m): return "plot: font: \(m)"
        case .png(let file, let m): return "\(file): not a valid PNG (\(m))"
        case .file(let problem): return problem.description
        }
    }
}
