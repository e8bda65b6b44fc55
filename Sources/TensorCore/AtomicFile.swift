import Foundation

/// Atomic output: every file aslsh writes is first written to a temporary name in the same
/// directory, then renamed over the destination, so an interrupted or failed write never leaves
/// a half-written file under the real name.
public enum AtomicFile {
    /// The temporary sibling used while `url` is being written (hidden, unique per process/call).
    public static func temporarySibling(of url: URL) -> URL {
        let token = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        return url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(token).tmp")
    }

    /// Runs `body` with a temporary path, then renames it to `url`. On error the temporary file
    /// is removed and the destination is untouched. Missing parent directories are created.
    public static func write(to url: URL, _ body: (URL) throws -> Void) throws {
        let fm = FileManager.default
        let parent = url.deletingLastPathComponent()
        do {
            try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw ArrayFileError(file: url.path, .io("cannot create directory \(parent.path): \(error.localizedDescription)"))
        }
        let temp = temporarySibling(of: url)
        do {
            try body(temp)
            guard rename(temp.path, url.path) == 0 else {
                throw ArrayFileError(file: url.path, .io("rename failed: \(String(cString: strerror(errno)))"))
            }
        } catch {
            try? fm.removeItem(at: temp)
            throw error
        }
    }

    /// Writes `data` atomically to `url`.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { temp in
            do { try data.write(to: temp) } catch {
                throw ArrayFileError(file: url.path, .io("write failed: \(error.localizedDescription)"))
            }
        }
    }
}
