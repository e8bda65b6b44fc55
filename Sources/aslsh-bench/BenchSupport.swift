import TensorCore
import Foundation

/// Helpers shared by every area's benchmark.

/// CPU seconds used by this process so far (all threads).
func processCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Median (mean of the middle two for an even count); NaN when empty.
func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? .nan : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// One line of the summary table that `aslsh-bench all` prints at the end: our figure and, where
/// the peer tool ran in the same process run, its figure and the ratio (>1 = aslsh better).
struct BenchRow {
    var area: String
    var what: String
    var ours: Double
    var unit: String
    var peerName: String?
    var peer: Double?
    /// true when smaller is better (latencies), so the ratio is peer / ours.
    var lowerIsBetter: Bool

    var ratio: Double? {
        guard let peer, peer > 0, ours > 0 else { return nil }
        return lowerIsBetter ? peer / ours : ours / peer
    }
}

/// Rows recorded by every area during one `aslsh-bench` process.
enum BenchSummary {
    nonisolated(unsafe) static var rows: [BenchRow] = []

    static func record(_ area: String, _ what: String, ours: Double, unit: String, peer: (name: String, value: Double)? = nil,
                       lowerIsBetter: Bool) {
        rows.append(BenchRow(area: area, what: what, ours: ours, unit: unit, peerName: peer?.name, peer: peer?.value,
                             lowerIsBetter: lowerIsBetter))
    }

    /// The Markdown table the README carries.
    static func markdown() -> String {
        var lines = ["| area | measure | aslsh | peer (same run) | speed-up (> 1 = aslsh faster) |", "|---|---|---|---|---|"]
        for r in rows {
            let peer = r.peer.map { "\(r.peerName ?? "peer") \(format($0)) \(r.unit)" } ?? "—"
            let ratio = r.ratio.map { String(format: "%.2f×", $0) } ?? "—"
            lines.append("| \(r.area) | \(r.what) | \(format(r.ours)) \(r.unit) | \(peer) | \(ratio) |")
        }
        return lines.joined(separator: "\n")
    }

    static func format(_ x: Double) -> String {
        x >= 1000 ? String(format: "%.0f", x) : x >= 100 ? String(format: "%.1f", x) : x >= 1 ? String(format: "%.2f", x) : String(format: "%.3g", x)
    }

    /// Date, machine and load, printed above the table (figures on a shared machine mean little without them).
    static func conditions() -> String {
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
            .first { $0.hasPrefix("model name") }.map { $0.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "?" } ?? "?"
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let date = ISO8601DateFormatter().string(from: Date())
        return "\(date), \(cpu ?? "?"), \(cores) cores, load average \(load); \(ComputeEnvironment.summary)"
    }
}

/// What each table's header says about where it ran: the CPU, the kernel path aslsh took and
/// the OpenBLAS kernel (thread counts are printed by each table, which knows them).
enum BenchHeader {
    static var compute: String {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
            .first { $0.hasPrefix("model name") }?.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "?"
        return "CPU: \(cpu) (\(KernelPath.cpuFeatures)); aslsh kernel path: \(KernelPath.active); OpenBLAS: \(ComputeEnvironment.blasCore)"
    }
}

/// A benchmark that cannot run (a missing tool or input, a failed step), said in one sentence.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
