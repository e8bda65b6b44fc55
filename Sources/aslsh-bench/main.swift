import Foundation
import TensorCore

// aslsh-bench AREA [options]: benchmarks (never timed tests). `swift run -c release aslsh-bench AREA`.
// Each area keeps its code in `<Area>Bench.swift` and registers one entry here.
let benches: [(name: String, usage: String, run: ([String]) throws -> Int32)] = [
    ("tflite", "[--runs N] [--rounds R] [--threads 1,2] [--model NAME] [--profile | --profile-each] [--models-dir DIR] [--litert-python PY]\n"
        + "  the four MediaPipe models' latency against LiteRT (builtin and XNNPACK), 1 and more threads",
     { try runTFLiteBench($0); return 0 }),
    ("media", "[--videos DIR] [--reps N] [--preset P] [--crf C]\n  decode, trim and re-encode against the ffmpeg CLI",
     { try runMediaBench($0); return 0 }),
    ("hands", "[--videos DIR] [--clips N] [--repeats N] [--models DIR] [--mediapipe-python PY] [--no-extract]\n"
        + "  video hand tracking and `extract` frames/s against MediaPipe, per core and for the machine",
     { try runHandsBench($0); return 0 }),
    ("datasets", "[REALDATA_DIR]\n  importers, `build` and the loader against a NumPy script", { try runDatasetsBench($0); return 0 }),
    ("plot", "[--runs N] [--gallery DIR]\n  chart render + PNG encode time", { try runPlotBench(arguments: $0); return 0 }),
    ("nn", "[--archs mlp,lstm,tcn,transformer] [--epochs mlp=8,…] [--threads N] [--no-peer] [--peer-python PATH]\n"
        + "  training samples/s against PyTorch on the same models", { try runNNBench(arguments: $0); return 0 }),
    ("shell", "[--runs N]\n  start-up of `aslsh -c 'echo 1'` against `python3 -c pass`", { runShellBench($0) }),
    ("predict", "[--runs N] [--rounds R] [--batches N] [--archs mlp,lstm,tcn,transformer]\n"
        + "  one-sample latency and batch-256 throughput against onnxruntime", { try runPredictBench($0); return 0 }),
    ("shard", "[--videos DIR] [--model-complexity full|lite] [--shards 1,2,4]\n  `extract` as 1, 2 and 4 concurrent shard processes: wall time, throughput, the cost of `merge`",
     { try runShardBench($0); return 0 }),
]

/// `aslsh-bench --help`, `aslsh-bench help [AREA]`, `aslsh-bench AREA --help`: what each area
/// measures and its options, on stdout.
func printBenchHelp(_ area: String?) {
    let shown = benches.filter { area == nil || $0.name == area }
    if area == nil {
        print("""
        aslsh-bench AREA [options]: benchmarks, each peer measured in the same run; every table says
        which way its ratios point (speed-up > 1 = aslsh faster) and names the CPU, kernel path and threads.
        aslsh-bench all [--out FILE]: every area in turn, then one summary table.

        """)
    }
    for bench in shown { print("aslsh-bench \(bench.name) \(bench.usage)") }
}

ProcessMemory.keepFreedMemory()   // as aslsh does: the figures are the tool's
let arguments = Array(CommandLine.arguments.dropFirst())
if let first = arguments.first, ["--help", "-h", "help"].contains(first) {
    printBenchHelp(arguments.count > 1 ? arguments[1] : nil)
    exit(0)
}
if arguments.count > 1, ["--help", "-h"].contains(arguments[1]), benches.contains(where: { $0.name == arguments[0] }) {
    printBenchHelp(arguments[0])
    exit(0)
}

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
