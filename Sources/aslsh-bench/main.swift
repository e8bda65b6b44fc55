// aslsh-bench: benchmarks (never timed tests). `swift run -c release aslsh-bench <area> [options]`.
// Each area registers one entry here and keeps its code in its own <Area>Bench.swift.
#if canImport(Glibc)
import Glibc
#endif

let benches: [String: ([String]) throws -> Void] = [
    "datasets": runDatasetsBench,
]

let arguments = Array(CommandLine.arguments.dropFirst())
guard let area = arguments.first, let bench = benches[area] else {
    print("usage: aslsh-bench <area> [options]; areas: \(benches.keys.sorted().joined(separator: ", "))")
    exit(2)
}
do { try bench(Array(arguments.dropFirst())) } catch {
    print("aslsh-bench \(area): \(error)")
    exit(1)
}
