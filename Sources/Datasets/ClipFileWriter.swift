import Foundation
import TensorCore

/// Writes the many small `.npy` files of an import: each to a temporary sibling then renamed
/// (so no half-written file ever has the real name), but without `fsync` — `Data.write` syncs
/// every file, which made importing 624 one-frame clips take ~15 s instead of well under 1 s.
/// The manifest, written last with `AtomicFile`, is what makes an import visible.
enum ClipFileWriter {
    static func write(_ array: NDArray, to url: URL) throws {
        let bytes = NPY.encode(array)
        let temp = AtomicFile.temporarySibling(of: url)
        let fd = open(temp.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw failure(url, "cannot create") }
        let written = bytes.withUnsafeBytes { raw -> Int in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno == EINTR { continue }; return -1 }
                offset += n
            }
            return offset
        }
        let closed = close(fd)
        guard written == bytes.count, closed == 0 else {
            let error = failure(url, "write failed")
            unlink(temp.path)
            throw error
        }
        guard rename(temp.path, url.path) == 0 else {
            let error = failure(url, "rename failed")
            unlink(temp.path)
            throw error
        }
    }

    static func failure(_ url: URL, _ what: String) -> DatasetError {
        .badInput(file: url.path, problem: "\(what): \(String(cString: strerror(errno)))")
    }

    /// The folder for an import's clip files, created once.
    static func makeFolder(_ url: URL) throws {
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw DatasetError.badInput(file: url.path, problem: "cannot create folder: \(error.localizedDescription)")
        }
    }
}
