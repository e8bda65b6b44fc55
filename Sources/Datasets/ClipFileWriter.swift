import Foundation
import TensorCore

/// Writes the many small `.npy` files of an import: each to a temporary sibling then renamed
/// (so no half-written file ever has the real name), but without `fsync` — `Data.write` syncs
/// every file, which made importing 624 one-frame clips take ~15 s instead of well under 1 s.
/// The manifest, written last with `OutputFile`, is what makes an import visible.
enum ClipFileWriter {
    static func write(_ array: NDArray, to url: URL) throws {
        do { try OutputFile.writeUnsynced(NPY.encode(array), to: url) } catch let problem as FileProblem {
            throw DatasetError.file(problem)
        }
    }

    /// The folder for an import's clip files, created once (with its parents).
    static func makeFolder(_ url: URL) throws {
        do { try OutputFile.makeFolder(url) } catch let problem as FileProblem { throw DatasetError.file(problem) }
    }
}
