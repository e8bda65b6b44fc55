import Foundation

/// Reads a whole file, mapping absence and I/O failures to `MediaError`.
func readFile(_ url: URL) throws -> Data {
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw MediaError(.fileNotFound, file: url.path, message: "no such file")
    }
    do { return try Data(contentsOf: url) } catch {
        throw MediaError(.io, file: url.path, message: error.localizedDescription)
    }
}

/// Writes to a hidden temporary sibling, then renames over `url`, so readers never see a
/// half-written image.
func writeFileAtomically(_ data: Data, to url: URL) throws {
    let temp = temporarySibling(of: url)
    do {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: temp)
    } catch {
        try? FileManager.default.removeItem(at: temp)
        throw MediaError(.io, file: url.path, message: error.localizedDescription)
    }
    try commitTemporary(temp, to: url)
}

/// The temporary name an output is written under before the final rename.
func temporarySibling(of url: URL) -> URL {
    let token = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    return url.deletingLastPathComponent()
        .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(token).tmp")
}

/// Renames a finished temporary file over the destination.
func commitTemporary(_ temp: URL, to url: URL) throws {
    guard rename(temp.path, url.path) == 0 else {
        let message = String(cString: strerror(errno))
        try? FileManager.default.removeItem(at: temp)
        throw MediaError(.io, file: url.path, operation: "rename", message: message)
    }
}
