import Foundation

// aslsh-bench AREA [options]: benchmarks (never timed tests). `swift run -c release aslsh-bench AREA`.
// Each area keeps its code in `<Area>Bench.swift` and registers one entry here.
let benches: [(name: String, run: ([String]) throws -> Int32)] = [
    ("tflite", { try runTFLiteBench($0); return 0 }),
    ("media", { try runMediaBench($0); return 0 }),
    ("hands", { try runHandsBench($0); return 0 }),
    ("datasets", { try runDatasetsBench($0); return 0 }),
    ("plot", { try runPlotBench(arguments: $0); return 0 }),
    ("nn", { try runNNBench(arguments: $0); return 0 }),
    ("shell", { runShellBench($0) }),
    ("predict", { try runPredictBench($0); return 0 }),
]

let arguments = Array(CommandLine.arguments.dropFirst())
guard let selected = arguments.first, let bench = benches.first(where: { $0.name == selected }) else {
    fputs("usage: aslsh-bench \(benches.map(\.name).joined(separator: "|")) [options]\n", stderr)
    exit(2)
}
do { exit(try bench.run(Array(arguments.dropFirst()))) } catch {
    fputs("aslsh-bench \(selected): \(error)\n", stderr)
    exit(1)
}
