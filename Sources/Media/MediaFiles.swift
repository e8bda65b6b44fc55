import Foundation
import TensorCore

/// Reads a whole file, mapping absence and I/O failures to `MediaError` in the shared words
/// ("no such file", "cannot read: permission denied").
func readFile(_ url: URL) throws -> Data {
    do { return try Data(contentsOf: url) } catch {
        throw MediaError(FileProblem.reading(url.path, error: error))
    }
}

/// Writes to a hidden temporary sibling, then renames over `url`, so readers never see a
/// half-written image (`OutputFile`: parent folders created, failures in the shared words).
func writeFileAtomically(_ data: Data, to url: URL) throws {
    do { try OutputFile.write(data, to: url) } catch let problem as FileProblem { throw MediaError(problem) }
}

/// Before FFmpeg opens `temporary` for `url`: creates the folders and checks that the file can be
/// created there, so an unwritable output is reported as "cannot write: permission denied" (not
/// as an encoder failure) and nothing is left behind.
func prepareOutput(_ url: URL, temporary: URL) throws {
    do { try OutputFile.prepare(url, temporary: temporary) } catch let problem as FileProblem {
        throw MediaError(problem)
    }
}

/// Renames a finished temporary file over the destination.
func commitTemporary(_ temp: URL, to url: URL) throws {
    guard OutputFile.commit(temp, to: url) == 0 else {
        let problem = FileProblem.writing(url.path, errno: errno)
        try? FileManager.default.removeItem(at: temp)
        throw MediaError(problem)
    }
}
