import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What makes a run killed at any moment (kill -9, power cut of the process, out-of-memory killer)
/// recoverable: every output appears under its final name only by `rename`, so the only debris a
/// killed run can leave are its temporary siblings, which the next run removes.
extension OutputFile {
    /// Renames a finished temporary file over `url` (POSIX `rename`: 0, or -1 with `errno` set).
    /// Every writer commits through here, so the crash-test hook sees every output.
    public static func commit(_ temporary: URL, to url: URL) -> Int32 {
        CrashTestHook.reach(.beforeRename)
        let status = rename(temporary.path, url.path)
        if status == 0 { CrashTestHook.reach(.afterRename) }
        return status
    }

    /// Removes the temporary siblings (`.<name>.<pid>.<token>.tmp`, see `temporarySibling`) in
    /// `folder` whose writing process is no longer running: what a killed run left behind. A
    /// temporary file whose process is alive is another writer's work in progress (a background
    /// job or a shard writing into the same folder) and is left alone. On a network file system
    /// a process id may belong to another machine, so there a file must also be an hour old.
    /// Returns the names removed; a folder that cannot be listed removes nothing.
    @discardableResult
    public static func removeStaleTemporaries(in folder: URL) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        let shared = isNetworkFileSystem(folder.path)
        var removed: [String] = []
        for name in names {
            guard let pid = temporaryWriter(name), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            let path = folder.appendingPathComponent(name).path
            if shared {
                var info = stat()
                guard lstat(path, &info) == 0, Date().timeIntervalSince1970 - Double(info.st_mtim.tv_sec) > 3600 else { continue }
            }
            if unlink(path) == 0 { removed.append(name) }
        }
        return removed.sorted()
    }

    /// The process id in a temporary sibling's name, or nil for any other name.
    static func temporaryWriter(_ name: String) -> pid_t? {
        guard name.hasPrefix("."), name.hasSuffix(".tmp") else { return nil }
        let parts = name.dropLast(4).split(separator: ".", omittingEmptySubsequences: false)
        // "", name parts…, pid, token
        guard parts.count >= 4, let pid = pid_t(parts[parts.count - 2]), pid > 0,
              !parts[parts.count - 1].isEmpty, parts[parts.count - 1].allSatisfy({ $0.isLetter || $0.isNumber }) else { return nil }
        return pid
    }

    /// Whether `path` is on a file system other machines write too (the type of its mount in
    /// /proc/mounts); unknown counts as shared.
    private static func isNetworkFileSystem(_ path: String) -> Bool {
        guard let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return true }
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        var best: (point: String, type: String)? = nil
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 3 else { continue }
            let point = String(fields[1]).replacingOccurrences(of: "\\040", with: " ")
            let inside = point == "/" || resolved == point || resolved.hasPrefix(point + "/")
            if inside, point.count >= (best?.point.count ?? -1) { best = (point, String(fields[2])) }
        }
        guard let type = best?.type else { return true }
        let network = ["nfs", "nfs4", "cifs", "smb3", "smbfs", "lustre", "gpfs", "ceph", "afs", "beegfs", "glusterfs", "9p"]
        return network.contains(type) || type.hasPrefix("fuse")
    }
}

/// A test hook, like SQLite's crash tests: `ASLSH_CRASH_AT=<point>:<n>` (points `before-rename`,
/// `after-rename`) makes the process kill itself with SIGKILL the n-th time (from 1) any output
/// reaches that point — after its temporary file is completely written but before the rename
/// that makes it visible, or just after that rename. The crash-consistency tests use it to stop
/// a stage at exact places; unset (always, outside those tests) it costs one load of a constant.
public enum CrashTestHook {
    public enum Point: String, Sendable { case beforeRename = "before-rename", afterRename = "after-rename" }

    private static let plan: (point: Point, n: Int)? = {
        guard let text = ProcessInfo.processInfo.environment["ASLSH_CRASH_AT"] else { return nil }
        let parts = text.split(separator: ":")
        guard parts.count == 2, let point = Point(rawValue: String(parts[0])), let n = Int(parts[1]), n > 0 else { return nil }
        return (point, n)
    }()

    private final class Counter: @unchecked Sendable {
        let lock = NSLock()
        var count = 0
    }
    private static let counter = Counter()

    /// Kills the process if this is the planned crash.
    public static func reach(_ point: Point) {
        guard let plan, plan.point == point else { return }
        counter.lock.lock()
        counter.count += 1
        let now = counter.count == plan.n
        counter.lock.unlock()
        if now { kill(getpid(), SIGKILL) }
    }
}

extension OutputFile {
    /// Writes files that belong together (a dataset's train/val/test) so that a run killed at any
    /// moment never leaves an old file beside a new one: every new file is written completely under
    /// its temporary name first, then the old files are removed, then the new ones are renamed into
    /// place. An interruption leaves the old set whole, or part of the new set with the rest
    /// missing (which the next run fills in) — never a mix that looks complete. On an error no
    /// temporary file is left and the old files are untouched.
    public static func writeTogether(_ files: [(url: URL, body: (URL) throws -> Void)]) throws {
        var temporaries: [URL] = []
        do {
            for file in files {
                let temp = temporarySibling(of: file.url)
                try prepare(file.url, temporary: temp)
                temporaries.append(temp)
                try file.body(temp)
            }
        } catch {
            for temp in temporaries { unlink(temp.path) }
            throw error
        }
        for file in files where unlink(file.url.path) != 0 && errno != ENOENT {
            let code = errno
            for temp in temporaries { unlink(temp.path) }
            throw FileProblem.writing(file.url.path, errno: code)
        }
        for (file, temp) in zip(files, temporaries) where commit(temp, to: file.url) != 0 {
            let code = errno
            for temp in temporaries { unlink(temp.path) }
            throw FileProblem.writing(file.url.path, errno: code)
        }
    }
}
