import Foundation

/// How much more memory this process can take, and the limit that says so. Readers that load a
/// whole file (an `.npz` dataset, a `.npy` array) ask it *before* allocating, so a dataset larger
/// than memory is refused in the first millisecond with the size it needs, instead of the process
/// being killed by the kernel's OOM killer an hour into training (or swapping the machine to a halt).
///
/// The tightest of:
/// - the memory the kernel can hand out without swapping (`MemAvailable` in /proc/meminfo);
/// - a cgroup v2 limit (`memory.max − memory.current`: containers, Slurm jobs with `--mem`);
/// - the process's own limits (RLIM_INFINITY is all ones: unlimited): `ulimit -d` (RLIMIT_DATA, counted against `VmData`) and
///   `ulimit -v` (RLIMIT_AS, against `VmSize`).
public struct MemoryBudget: Sendable, Equatable {
    /// Bytes this process can still allocate.
    public var available: Int
    /// What sets `available`, in words for an error message.
    public var limit: String

    public init(available: Int, limit: String) {
        self.available = available
        self.limit = limit
    }

    /// The budget now (reads a few small files in /proc and /sys: microseconds).
    public static func current() -> MemoryBudget {
        var budget = MemoryBudget(available: Int.max, limit: "no known limit")
        func consider(_ bytes: Int?, _ what: String) {
            if let bytes, bytes < budget.available { budget = MemoryBudget(available: max(0, bytes), limit: what) }
        }
        let meminfo = keyedKilobytes(file: "/proc/meminfo")
        consider(meminfo["MemAvailable"], "available system memory")
        consider(cgroupRemaining(), "the cgroup memory limit (memory.max)")
        let status = keyedKilobytes(file: "/proc/self/status")
        var data = rlimit(), address = rlimit()
        if getrlimit(Int32(RLIMIT_DATA.rawValue), &data) == 0, data.rlim_cur != rlim_t.max, let used = status["VmData"] {
            consider(Int(clamping: data.rlim_cur) - used, "the process's data-size limit (ulimit -d)")
        }
        if getrlimit(Int32(RLIMIT_AS.rawValue), &address) == 0, address.rlim_cur != rlim_t.max, let used = status["VmSize"] {
            consider(Int(clamping: address.rlim_cur) - used, "the process's address-space limit (ulimit -v)")
        }
        return budget
    }

    /// Whether `bytes` more fit.
    public func allows(_ bytes: Int) -> Bool { bytes <= available }

    /// "2.4 GiB", "180 MiB", "512 KiB", "100 bytes": sizes in messages.
    public static func describe(_ bytes: Int) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB"]
        guard bytes >= 1024 else { return "\(bytes) bytes" }
        var value = Double(bytes), unit = -1
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        return value >= 100 ? "\(Int(value.rounded())) \(units[unit])" : String(format: "%.1f %@", value, units[unit])
    }

    /// "needs about 2.4 GiB of memory, only 180 MiB available (the process's data-size limit (ulimit -d))".
    public func shortfall(needing bytes: Int) -> String {
        "needs about \(Self.describe(bytes)) of memory, only \(Self.describe(available)) available (\(limit))"
    }

    /// `Key:   1234 kB` lines of a /proc file, in bytes.
    static func keyedKilobytes(file: String) -> [String: Int] {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return [:] }
        var values: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let fields = parts[1].split(whereSeparator: \.isWhitespace)   // "\t    428 kB"
            guard let number = fields.first.flatMap({ Int($0) }) else { continue }
            values[String(parts[0])] = fields.count > 1 && fields[1] == "kB" ? number * 1024 : number
        }
        return values
    }

    /// `memory.max − memory.current` of this process's cgroup (v2), or nil when unlimited/unknown.
    static func cgroupRemaining() -> Int? {
        guard let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8),
              let line = membership.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else { return nil }
        let folder = "/sys/fs/cgroup" + line.dropFirst(3)
        func number(_ name: String) -> Int? {
            (try? String(contentsOfFile: folder + "/" + name, encoding: .utf8))
                .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        guard let max = number("memory.max") else { return nil }   // "max": unlimited
        return max - (number("memory.current") ?? 0)
    }
}

extension MemoryBudget {
    /// Loads of at most 1 MiB are not checked: no limit worth naming is that tight, and reading
    /// /proc and the cgroup files would cost more than loading (it was most of the time spent
    /// opening a small checkpoint).
    static let alwaysAllowed = 1 << 20

    /// Throws `needsMemory` naming `url` when loading it needs more than the budget now allows.
    static func checkLoading(_ url: URL, needed: Int) throws {
        guard needed > alwaysAllowed else { return }
        let budget = current()
        guard budget.allows(needed) else { throw ArrayFileError(file: url.path, .needsMemory(needed: needed, budget: budget)) }
    }

    /// The file's size in bytes (0 when it cannot be read: opening it reports that properly).
    static func fileSize(_ url: URL) -> Int {
        var info = stat()
        return stat(url.path, &info) == 0 ? Int(info.st_size) : 0
    }
}
