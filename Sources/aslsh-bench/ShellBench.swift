import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `aslsh-bench shell [--runs N]`: start-up time of `aslsh -c 'echo 1'` (median of N process
/// launches after warm-up) against `python3 -c pass` and `python3 -c "import numpy"` measured
/// in the same run. Target: ≤ 20 ms (FFmpeg's ~200 libraries load on first use, not here).
func runShellBench(_ arguments: [String]) -> Int32 {
    var runs = 20
    if let i = arguments.firstIndex(of: "--runs"), i + 1 < arguments.count, let n = Int(arguments[i + 1]) { runs = max(1, n) }
    let aslsh = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("aslsh").path
    guard FileManager.default.isExecutableFile(atPath: aslsh) else {
        fputs("shell bench: no aslsh binary beside aslsh-bench (\(aslsh)); build the aslsh product first\n", stderr)
        return 1
    }
    let cases: [(String, [String])] = [
        ("aslsh -c 'echo 1'", [aslsh, "-c", "echo 1"]),
        ("aslsh -c 'count-to 1000 -q'", [aslsh, "-c", "count-to 1000 -q"]),
        ("/bin/true (process floor)", ["/bin/true"]),
        ("python3 -c pass", ["/usr/bin/python3", "-c", "pass"]),
        ("python3 -c \"import numpy\"", ["/usr/bin/python3", "-c", "import numpy"]),
    ]
    print("shell start-up: median of \(runs) launches after 2 warm-up runs (posix_spawn → wait4; wall ms, and")
    print("CPU ms = user + system time of the child, which a loaded machine inflates much less than wall time)")
    print("| case | wall median ms | min | max | CPU median ms |")
    print("|---|---|---|---|---|")
    var aslshMedian = Double.infinity, pythonMedian: Double?
    for (name, argv) in cases {
        for _ in 0..<2 { _ = launchMilliseconds(argv) }
        var samples: [Double] = []
        var cpu: [Double] = []
        for _ in 0..<runs {
            guard let times = launchMilliseconds(argv) else {
                print("| \(name) | failed | | | |")
                break
            }
            samples.append(times.wall)
            cpu.append(times.cpu)
        }
        guard !samples.isEmpty else { continue }
        samples.sort()
        cpu.sort()
        let median = samples[samples.count / 2]
        if name == "aslsh -c 'echo 1'" { aslshMedian = median }
        if name == "python3 -c pass" { pythonMedian = median }
        print(String(format: "| %@ | %.1f | %.1f | %.1f | %.1f |", name, median, samples.first!, samples.last!,
                     cpu[cpu.count / 2]))
    }
    print(String(format: "aslsh -c 'echo 1' median %.1f ms: %@ the 20 ms target (load average %@)", aslshMedian,
                 aslshMedian <= 20 ? "within" : "OVER", loadAverage()))
    if let pythonMedian {
        print(String(format: "start-up speed-up vs python3 -c pass (> 1 = aslsh faster): %.2f", pythonMedian / aslshMedian))
    }
    BenchSummary.record("shell", "start-up `aslsh -c 'echo 1'`", ours: aslshMedian, unit: "ms",
                        peer: pythonMedian.map { ("python3 -c pass", $0) }, lowerIsBetter: true)
    return 0
}

/// Wall and CPU time of one launch to exit, with stdio on /dev/null; nil if it fails.
private func launchMilliseconds(_ argv: [String]) -> (wall: Double, cpu: Double)? {
    var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    let cArguments = argv.map { strdup($0) } + [nil]
    defer { cArguments.forEach { free($0) } }
    var start = timespec(), end = timespec()
    clock_gettime(CLOCK_MONOTONIC, &start)
    var pid: pid_t = 0
    guard posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ) == 0 else { return nil }
    var status: Int32 = 0
    var usage = rusage()
    wait4(pid, &status, 0, &usage)
    clock_gettime(CLOCK_MONOTONIC, &end)
    guard status == 0 else { return nil }
    let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000
    return (Double(end.tv_sec - start.tv_sec) * 1000 + Double(end.tv_nsec - start.tv_nsec) / 1e6, cpu)
}

/// The 1-minute load average: start-up figures on a shared machine mean little without it.
private func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
}
