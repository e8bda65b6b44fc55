import Foundation
import TensorCore
import TFLiteRuntime

/// `aslsh-bench tflite [--runs N] [--rounds R] [--threads 1,2] [--model NAME] [--profile | --profile-each] [--models-dir DIR] [--litert-python PY]`
///
/// Per-model latency of aslsh's TFLite interpreter on the four MediaPipe hand models, 1 and 2
/// threads: median (and p10) of N runs after 10 warm-up runs, in R rounds (median of the rounds).
/// When a Python with `ai_edge_litert` is given (`--litert-python` or `ASLSH_LITERT_PYTHON`),
/// LiteRT's builtin kernels and XNNPACK are measured by the same protocol right after each model
/// in each round. `--profile` adds per-op-type times for each thread count, `--profile-each` one
/// line per operator (index, kind, shapes) with a column per thread count and the scaling.
func runTFLiteBench(_ args: [String]) throws {
    var profile = false, profileEach = false
    var threadCounts = [1, 2]
    var runs = 50, rounds = 3, modelsDir = "models/mediapipe"
    var python = ProcessInfo.processInfo.environment["ASLSH_LITERT_PYTHON"]
    var models = ["palm_detection_full", "palm_detection_lite", "hand_landmark_full", "hand_landmark_lite"]
    var i = 0
    while i < args.count {
        let value = i + 1 < args.count ? args[i + 1] : ""
        switch args[i] {
        case "--runs": runs = max(1, Int(value) ?? runs); i += 1
        case "--rounds": rounds = max(1, Int(value) ?? rounds); i += 1
        case "--models-dir": modelsDir = value; i += 1
        case "--litert-python": python = value; i += 1
        case "--model": models = [value]; i += 1
        case "--profile": profile = true
        case "--profile-each": profileEach = true
        case "--threads": threadCounts = value.split(separator: ",").compactMap { Int($0) }; i += 1
        default: throw BenchError("unknown option \(args[i])")
        }
        i += 1
    }
    // Rounds: each model is measured on our side and then on LiteRT's, and the whole sweep is
    // repeated; every figure is the median over rounds of each round's median, so a change in the
    // machine's load (a shared VM) hits both sides of a ratio alike.
    var samples: [String: [Int: [(median: Double, p10: Double, cpu: Double)]]] = [:]
    var peerSamples: [String: [Double]] = [:]
    for round in 0..<rounds {
        for name in models {
            let url = URL(fileURLWithPath: modelsDir).appendingPathComponent("\(name).tflite")
            let model = try TFLiteModel(contentsOf: url)
            var eachOperator: [Int: [String: Double]] = [:]   // threads → operator → ms
            for threads in threadCounts {
                let interpreter = try TFLiteInterpreter(model: model, threads: threads)
                var rng = SeededRandom(seed: 1)
                interpreter.withInput(0) { buffer in for k in buffer.indices { buffer[k] = rng.uniform() } }
                for _ in 0..<10 { interpreter.run() }
                var times: [Double] = [], cpu: [Double] = []
                for _ in 0..<runs {
                    let t0 = DispatchTime.now().uptimeNanoseconds, c0 = processCPUSeconds()
                    interpreter.run()
                    times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                    cpu.append((processCPUSeconds() - c0) * 1e3)
                }
                times.sort()
                cpu.sort()
                if profile && round == 0 {
                    var totals: [String: Double] = [:]
                    for _ in 0..<10 { for (op, t) in interpreter.profile() { totals[op, default: 0] += t / 10 } }
                    print("\(name) \(threads) thread(s), per op (ms):")
                    for (op, t) in totals.sorted(by: { $0.value > $1.value }) { print(String(format: "  %8.3f  %@", t * 1e3, op)) }
                }
                if profileEach && round == 0 {
                    for _ in 0..<10 {
                        for (op, t) in interpreter.profile(eachOperator: true) { eachOperator[threads, default: [:]][op, default: 0] += t * 1e3 / 10 }
                    }
                }
                samples[name, default: [:]][threads, default: []].append((times[times.count / 2], times[times.count / 10], cpu[cpu.count / 2]))
            }
            if profileEach && round == 0 { printEachOperator(name, eachOperator, threadCounts) }
            if let python {
                for (key, value) in try measureLiteRT(python: python, modelsDir: modelsDir, models: [name], runs: runs,
                                                      threads: threadCounts) {
                    peerSamples[key, default: []].append(value)
                }
            }
        }
    }
    func middle(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    var ours: [String: [Int: (median: Double, p10: Double, cpu: Double)]] = [:]
    for (name, byThreads) in samples {
        for (threads, list) in byThreads {
            ours[name, default: [:]][threads] = (middle(list.map(\.median)), middle(list.map(\.p10)), middle(list.map(\.cpu)))
        }
    }
    let peer = peerSamples.mapValues(middle)
    print("TFLite interpreter latency, median over \(rounds) rounds of the median of \(runs) runs after 10 warm-up (ms, lower is better); \(BenchHeader.compute); "
          + "threads: \(threadCounts.map(String.init).joined(separator: " and ")) on each side; "
          + "LiteRT measured \(peer.isEmpty ? "— not measured (pass --litert-python)" : "in the same run")")
    print("(cpu = median process CPU time per run, all threads: a steadier figure on a loaded machine;")
    print(" speed-up = peer ms / aslsh ms, > 1 = aslsh faster; scaling = 1-thread ms / this row's ms, each side its own)")
    print("model                 thr  aslsh  (p10)     cpu   LiteRT-builtin  LiteRT-XNNPACK  speed-up vs builtin  speed-up vs XNNPACK  scaling aslsh  scaling XNNPACK")
    for name in models {
        for threads in threadCounts {
            guard let o = ours[name]?[threads] else { continue }
            let builtin = peer["\(name)/builtin/\(threads)"], xnn = peer["\(name)/xnnpack/\(threads)"]
            func f(_ v: Double?) -> String { v.map { String(format: "%7.2f", $0) } ?? "      –" }
            func scaling(_ one: Double?, _ this: Double?) -> String {
                guard threads > 1, let one, let this else { return "    –" }
                return String(format: "%5.2f×", one / this)
            }
            print(name.padding(toLength: 22, withPad: " ", startingAt: 0) + "\(threads)  " + f(o.median) + " (" + f(o.p10) + ") " + f(o.cpu) + "  "
                  + f(builtin) + "         " + f(xnn) + "         "
                  + (builtin.map { String(format: "%5.2f×", $0 / o.median) } ?? "    –  ") + "               "
                  + (xnn.map { String(format: "%5.2f×", $0 / o.median) } ?? "    – ") + "               "
                  + scaling(ours[name]?[1]?.median, o.median) + "          "
                  + scaling(peer["\(name)/xnnpack/1"], xnn))
            if threads == 1 {
                BenchSummary.record("tflite", "\(name), 1 thread", ours: o.median, unit: "ms",
                                    peer: xnn.map { ("LiteRT XNNPACK", $0) } ?? builtin.map { ("LiteRT builtin", $0) }, lowerIsBetter: true)
            }
        }
    }
}

/// LiteRT's own latency by the same protocol (10 warm-up invokes, median of `runs`).
private func measureLiteRT(python: String, modelsDir: String, models: [String], runs: Int, threads: [Int]) throws -> [String: Double] {
    let script = """
    import sys, time, numpy as np
    from ai_edge_litert.interpreter import Interpreter, OpResolverType as R
    models_dir, runs, thread_counts = sys.argv[1], int(sys.argv[2]), [int(t) for t in sys.argv[3].split(',')]
    for name in sys.argv[4:]:
        for kind, resolver in (('xnnpack', R.AUTO), ('builtin', R.BUILTIN_WITHOUT_DEFAULT_DELEGATES)):
            for threads in thread_counts:
                it = Interpreter(model_path=f'{models_dir}/{name}.tflite', num_threads=threads,
                                 experimental_op_resolver_type=resolver)
                it.allocate_tensors()
                d = it.get_input_details()[0]
                x = np.random.default_rng(1).random(d['shape'], dtype=np.float32)
                it.set_tensor(d['index'], x)
                for _ in range(10): it.invoke()
                ts = []
                for _ in range(runs):
                    t0 = time.perf_counter(); it.invoke(); ts.append((time.perf_counter() - t0) * 1e3)
                print(f'{name}/{kind}/{threads} {float(np.median(ts)):.3f}', flush=True)
    """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = ["-c", script, modelsDir, String(runs), threads.map(String.init).joined(separator: ",")] + models
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw BenchError("LiteRT measurement failed (\(python))") }
    var result: [String: Double] = [:]
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
        let parts = line.split(separator: " ")
        if parts.count == 2, let v = Double(parts[1]) { result[String(parts[0])] = v }
    }
    return result
}

/// One line per operator in model order: ms at each thread count and, with more than one, the
/// first count's time over the last's (the operator's own scaling).
private func printEachOperator(_ model: String, _ times: [Int: [String: Double]], _ threadCounts: [Int]) {
    guard let first = threadCounts.first, let rows = times[first] else { return }
    func index(_ key: String) -> Int { Int(key.dropFirst().prefix { $0.isNumber }) ?? 0 }
    print("\(model), per operator (ms at " + threadCounts.map { "\($0)" }.joined(separator: ", ") + " threads"
          + (threadCounts.count > 1 ? "; scaling = \(first)-thread ms / \(threadCounts.last!)-thread ms)" : ")"))
    var sums = [Double](repeating: 0, count: threadCounts.count)
    for key in rows.keys.sorted(by: { index($0) < index($1) }) {
        let values = threadCounts.map { times[$0]?[key] ?? .nan }
        for (i, v) in values.enumerated() where v.isFinite { sums[i] += v }
        let scaling = values.count > 1 ? String(format: "  %5.2f×", values[0] / values.last!) : ""
        print(values.map { String(format: "%8.3f", $0) }.joined() + scaling + "  " + key)
    }
    let scaling = sums.count > 1 ? String(format: "  %5.2f×", sums[0] / sums.last!) : ""
    print(sums.map { String(format: "%8.3f", $0) }.joined() + scaling + "  total")
}
