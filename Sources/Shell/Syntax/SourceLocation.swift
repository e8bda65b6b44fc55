/// A position in the text being run: 1-based line and column (in Unicode scalars), as shown in
/// error messages `FILE:LINE:COLUMN`.
public struct SourceLocation: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    public var description: String { "\(line):\(column)" }
}
