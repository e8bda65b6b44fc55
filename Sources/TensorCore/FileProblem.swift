import Foundation

/// What is wrong with a path, in the words every aslsh message uses. Each module's own error type
/// carries these words (and its own location: the record, the array, the frame); this type only
/// makes sure "missing", "malformed" and "unwritable" read the same from every command:
///
///     PATH: no such file                      an input that is not there
///     PATH: no such folder
///     PATH: cannot read: permission denied    an input that is there but cannot be opened
///     PATH: not a valid npz (truncated: no end-of-archive record)     there, but not the format
///     PATH: cannot write: permission denied   an output that cannot be created
///     PATH: cannot write: DIR is a file, not a folder
///     PATH: cannot write: read-only file system / disk full / it is a folder
///
/// Missing output folders are never an error: every writer creates them (`OutputFile`).
public struct FileProblem: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// Nothing at the path (or a folder where a file was expected, when reading).
        case missing
        /// The file is there but its contents are not the format (or schema) expected.
        case malformed
        /// The operating system would not let aslsh read it.
        case unreadable
        /// The output (or a folder on its way) could not be created or written.
        case unwritable
    }

    public var path: String
    public var kind: Kind
    /// The words after `PATH: `, e.g. `cannot write: permission denied`.
    public var reason: String

    public init(path: String, kind: Kind, reason: String) {
        self.path = path
        self.kind = kind
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }

    // MARK: the shared words

    /// `PATH: no such file` (or `no such folder`).
    public static func missing(_ path: String, folder: Bool = false) -> FileProblem {
        FileProblem(path: path, kind: .missing, reason: folder ? "no such folder" : "no such file")
    }

    /// `PATH: not a valid FORMAT (DETAIL)`: the file exists but is not what it should be.
    /// `format` is the project's name for it (`npz`, `manifest`, `JPEG`, `checkpoint` …).
    public static func malformed(_ path: String, format: String, _ detail: String? = nil) -> FileProblem {
        FileProblem(path: path, kind: .malformed,
                    reason: "not a valid \(format)" + (detail.map { " (\($0))" } ?? ""))
    }

    /// Why reading `path` failed, from an `errno` value.
    public static func reading(_ path: String, errno code: Int32) -> FileProblem {
        switch code {
        case ENOENT, ENOTDIR: return .missing(path)
        case EISDIR: return FileProblem(path: path, kind: .unreadable, reason: "cannot read: it is a folder, not a file")
        case EACCES, EPERM: return FileProblem(path: path, kind: .unreadable, reason: "cannot read: permission denied")
        default: return FileProblem(path: path, kind: .unreadable, reason: "cannot read: " + Self.words(code))
        }
    }

    /// Why reading `path` failed, from whatever Foundation threw (its POSIX code when it has one).
    public static func reading(_ path: String, error: Error) -> FileProblem {
        if let problem = error as? FileProblem { return problem }
        if let code = posixCode(of: error) { return reading(path, errno: code) }
        // No code: decide by what is on disk rather than quoting Foundation's sentence.
        var isFolder: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) { return .missing(path) }
        if isFolder.boolValue { return reading(path, errno: EISDIR) }
        return reading(path, errno: EACCES)
    }

    /// Why writing `path` failed, from an `errno` value. For "no such file" and "not a directory"
    /// the path is inspected to name the folder that is missing or the file in the way.
    public static func writing(_ path: String, errno code: Int32) -> FileProblem {
        func cannot(_ why: String) -> FileProblem { FileProblem(path: path, kind: .unwritable, reason: "cannot write: " + why) }
        switch code {
        case EACCES, EPERM: return cannot("permission denied")
        case EROFS: return cannot("read-only file system")
        case ENOSPC, EDQUOT: return cannot("disk full")
        case EFBIG: return cannot("file too large for the file-size limit (ulimit -f)")
        case EISDIR: return cannot("it is a folder")
        case ENOTDIR, EEXIST, ENOENT:
            if let blocker = fileInTheWay(of: path) { return cannot("\(blocker) is a file, not a folder") }
            if code == ENOENT {
                let parent = (path as NSString).deletingLastPathComponent
                return cannot("folder \(parent.isEmpty ? "." : parent) does not exist")
            }
            if code == EEXIST, isFolder(path) { return cannot("it is a folder") }
            return cannot(words(code))
        default: return cannot(words(code))
        }
    }

    /// Why writing `path` failed, from whatever Foundation threw.
    public static func writing(_ path: String, error: Error) -> FileProblem {
        if let problem = error as? FileProblem { return problem }
        if let code = posixCode(of: error) { return writing(path, errno: code) }
        if let blocker = fileInTheWay(of: path) {
            return FileProblem(path: path, kind: .unwritable, reason: "cannot write: \(blocker) is a file, not a folder")
        }
        return writing(path, errno: EACCES)
    }

    /// Where and why `data` is not JSON, as "line L, column C: unexpected end of file" (1-based),
    /// or nil when it parses. Foundation's own sentence is trimmed to its reason.
    public static func jsonSyntaxProblem(_ data: Data) -> String? {
        var text: String
        do { _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]); return nil } catch {
            text = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? "not valid JSON"
        }
        var line = 1, column = 1
        if let match = text.range(of: #"line (\d+), column (\d+)"#, options: .regularExpression) {
            let numbers = text[match].split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            if numbers.count == 2 { (line, column) = (numbers[0], numbers[1]) }
        } else {
            var offset = data.count
            if let match = text.range(of: #"character (\d+)"#, options: .regularExpression),
               let n = Int(text[match].split(separator: " ")[1]) { offset = min(n, data.count) }
            for byte in data.prefix(offset) {
                if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
            }
        }
        for pattern in [#" (around|at) line \d+, column \d+"#, #" (around|at) character \d+"#, #"\.$"#] {
            if let range = text.range(of: pattern, options: .regularExpression) { text.removeSubrange(range) }
        }
        let reason = text.first.map { $0.lowercased() + text.dropFirst() } ?? "not valid JSON"
        return "invalid JSON at line \(line), column \(column): \(reason)"
    }

    // MARK: helpers

    /// `strerror` in the lower case the rest of a message uses ("Input/output error" → "input/output error").
    static func words(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        guard let first = text.first else { return "error \(code)" }
        return first.lowercased() + text.dropFirst()
    }

    /// The nearest existing ancestor of `path` (or `path`'s parent chain) that is a regular file:
    /// the thing that stops a folder being created.
    static func fileInTheWay(of path: String) -> String? {
        var current = (path as NSString).deletingLastPathComponent
        while !current.isEmpty, current != "/" {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: current, isDirectory: &isFolder) {
                return isFolder.boolValue ? nil : current
            }
            current = (current as NSString).deletingLastPathComponent
        }
        return nil
    }

    public static func isFolder(_ path: String) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
    }

    /// The POSIX error code inside a Foundation error: the error itself when it is a POSIX one,
    /// its underlying error, or the equivalent of a CocoaError file code.
    static func posixCode(of error: Error) -> Int32? {
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return Int32(ns.code) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return Int32(underlying.code)
        }
        guard ns.domain == NSCocoaErrorDomain else { return nil }
        switch CocoaError.Code(rawValue: ns.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: return ENOENT
        case .fileReadNoPermission, .fileWriteNoPermission: return EACCES
        case .fileWriteOutOfSpace: return ENOSPC
        case .fileWriteVolumeReadOnly: return EROFS
        case .fileWriteFileExists: return EEXIST
        default: return nil
        }
    }
}

/// How every aslsh writer creates an output: missing parent folders are made, the bytes go to a
/// hidden temporary sibling which is renamed over the destination, and any failure removes the
/// temporary file and throws a `FileProblem` in the shared words.
public enum OutputFile {
    /// Creates `folder` and any missing parents. A regular file on the way, or a parent that
    /// cannot be written, is reported against `path` (the output the folder was for).
    public static func makeFolder(_ folder: URL, for path: String? = nil) throws {
        let target = folder.path
        if FileProblem.isFolder(target) { return }
        var missing: [String] = []
        var current = target
        while !current.isEmpty, current != "/", !FileManager.default.fileExists(atPath: current) {
            missing.append(current)
            current = (current as NSString).deletingLastPathComponent
        }
        // `current` exists: it must be a folder for anything to be created inside it.
        if !current.isEmpty, current != "/", !FileProblem.isFolder(current) {
            throw FileProblem(path: path ?? target, kind: .unwritable, reason: "cannot write: \(current) is a file, not a folder")
        }
        for folder in missing.reversed() where mkdir(folder, 0o755) != 0 && errno != EEXIST {
            let code = errno
            var problem = FileProblem.writing(path ?? folder, errno: code)
            if code == EACCES || code == EPERM, path != nil { problem.reason += " (cannot create folder \(folder))" }
            throw problem
        }
    }

    /// Creates the folders `url` goes in.
    public static func prepare(_ url: URL) throws {
        try makeFolder(url.deletingLastPathComponent(), for: url.path)
    }

    /// Before a library (ZIPFoundation, FFmpeg, protobuf …) writes `temporary` for `url`: makes the
    /// folders, refuses a folder at `url`, and creates and removes `temporary` once, so that an
    /// unwritable output is reported in the shared words ("cannot write: permission denied")
    /// instead of as the library's own failure, before any work is done.
    public static func prepare(_ url: URL, temporary: URL) throws {
        try prepare(url)
        if FileProblem.isFolder(url.path) { throw FileProblem.writing(url.path, errno: EISDIR) }
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw FileProblem.writing(url.path, errno: errno) }
        close(fd)
        unlink(temporary.path)   // the writer creates it itself (some refuse an existing file)
    }

    /// `prepare(_:temporary:)` with a fresh temporary sibling: whether `url` can be written, checked
    /// before a long job starts so an unwritable output fails in the first second.
    public static func checkWritable(_ url: URL) throws {
        try prepare(url, temporary: temporarySibling(of: url))
    }

    /// The temporary sibling used while `url` is being written (hidden, unique per process/call).
    public static func temporarySibling(of url: URL) -> URL {
        let token = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        return url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(token).tmp")
    }

    /// Runs `body` with a temporary path, then renames it to `url`. On error the temporary file
    /// is removed and the destination is untouched. Missing parent folders are created first;
    /// a `body` that fails on the file itself (Foundation or POSIX) is reported in the shared words.
    public static func write(to url: URL, _ body: (URL) throws -> Void) throws {
        let temp = temporarySibling(of: url)
        try prepare(url, temporary: temp)
        do {
            try body(temp)
            guard commit(temp, to: url) == 0 else { throw FileProblem.writing(url.path, errno: errno) }
        } catch {
            unlink(temp.path)
            throw error
        }
    }

    /// Writes `data` atomically to `url`.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { temp in
            do { try data.write(to: temp) } catch { throw FileProblem.writing(url.path, error: error) }
        }
    }

    /// Writes `data` to a temporary sibling without `fsync` (many small files), then renames.
    public static func writeUnsynced(_ data: Data, to url: URL) throws {
        let temp = temporarySibling(of: url)
        let fd = open(temp.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw FileProblem.writing(url.path, errno: errno) }
        let failure: Int32? = data.withUnsafeBytes { raw -> Int32? in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno == EINTR { continue }; return errno }
                offset += n
            }
            return nil
        }
        let closeFailed = close(fd) != 0 ? errno : nil
        if let code = failure ?? closeFailed {
            unlink(temp.path)
            throw FileProblem.writing(url.path, errno: code)
        }
        guard commit(temp, to: url) == 0 else {
            let code = errno
            unlink(temp.path)
            throw FileProblem.writing(url.path, errno: code)
        }
    }
}

/// Folder listings that follow symbolic links. Foundation's URL-based listing returns nothing
/// for a folder reached through a link (`photos/A → /data/letters/A`), so a dataset laid out with
/// links to a shared copy looked empty; the path-based listing follows them. Entries keep the
/// path as the caller wrote it (under the link), hidden files are skipped, order is unspecified.
public enum FolderListing {
    public static func entries(of folder: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { !$0.hasPrefix(".") }
            .map { folder.appendingPathComponent($0) }
    }
}
