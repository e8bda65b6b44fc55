import Foundation

/// Atomic output: every file aslsh writes is first written to a temporary name in the same
/// directory, then renamed over the destination, so an interrupted or failed write never leaves
/// a half-written file under the real name. The older name of `OutputFile`; failures are
/// `FileProblem`s in the shared words ("PATH: cannot write: permission denied").
public enum AtomicFile {
    public static func temporarySibling(of url: URL) -> URL { OutputFile.temporarySibling(of: url) }

    /// Runs `body` with a temporary path, then renames it to `url` (see `OutputFile.write`).
    public static func write(to url: URL, _ body: (URL) throws -> Void) throws { try OutputFile.write(to: url, body) }

    /// Writes `data` atomically to `url`, creating missing parent folders.
    public static func write(_ data: Data, to url: URL) throws { try OutputFile.write(data, to: url) }
}
