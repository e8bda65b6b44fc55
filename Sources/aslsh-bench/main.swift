import Foundation
import TensorCore

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
    ("shard", { try runShardBench($0); return 0 }),
]

ProcessMemory.keepFreedMemory()   // as aslsh does: the figures are the tool's
let arguments = Array(CommandLine.arguments.dropFirst())

// `aslsh-bench all [--out FILE]`: every area in turn (a failing area is reported, the rest go on),
// then one summary table of aslsh's figures beside the peers' from this same run.
if arguments.first == "all" {
    var failed = [String]()
    for bench in benches {
        print("\n=== aslsh-bench \(bench.name) ===")
        fflush(stdout)
        do { if try bench.run([]) != 0 { failed.append(bench.name) } } catch {
            print("aslsh-bench \(bench.name): \(error)")
            failed.append(bench.name)
        }
    }
    let table = "Measured \(BenchSummary.conditions()) with `swift run -c release aslsh-bench all`.\n\n" + BenchSummary.markdown() + "\n"
    print("\n=== summary ===\n" + table)
    if let i = arguments.firstIndex(of: "--out"), i + 1 < arguments.count {
        try? table.write(toFile: arguments[i + 1], atomically: true, encoding: .utf8)
    }
    if !failed.isEmpty { print("failed: \(failed.joined(separator: ", "))") }
    exit(failed.isEmpty ? 0 : 1)
}

// Every run names what it ran on: CPU, load, our kernel path, OpenBLAS's kernel, threads are per area.
if arguments.first != nil, arguments.first != "all" { print("aslsh-bench on \(BenchSummary.conditions())") }

guard let selected = arguments.first, let bench = benches.first(where: { $0.name == selected }) else {
    fputs("usage: aslsh-bench all|\(benches.map(\.name).joined(separator: "|")) [options]\n", stderr)
    exit(2)
}
do { exit(try bench.run(Array(arguments.dropFirst()))) } catch {
    fputs("aslsh-bench \(selected): \(error)\n", stderr)
    exit(1)
}
