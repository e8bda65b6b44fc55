import Foundation
import NeuralNets
import TensorCore

/// `aslsh-bench nn [--archs mlp,lstm,tcn,transformer] [--epochs mlp=8,lstm=5,tcn=8,transformer=5] [--threads N]
///                 [--no-peer] [--peer-dir DIR] [--peer-python PATH] [--transformer-peer PATH]`
///
/// Threads: ours = `NNThreads.count` Dispatch workers (default 2), each calling a 1-thread
/// OpenBLAS; the peer = `torch.set_num_threads(2)` with OpenBLAS at 1 thread (`openblas-1t`).
///
/// Trains each architecture of the original on synthetic landmark data with the peer's shapes
/// (`../shared/peers/train_bench.py`: MLP T=1 N=20000 26 classes; LSTM and TCN T=32 N=5000 50 classes;
/// batch 64, Adam lr 1e-3, reshuffle every epoch, loss + running accuracy per step) and reports
/// the median samples/s over the epochs after the first (warm-up), the peak RSS during training,
/// and, measured in the same run, PyTorch CPU's figures (`train_bench.py --config openblas-1t`).
/// The Transformer (D 64, 2 layers, 4 heads; T=32 N=5000 50 classes like LSTM/TCN) is not among the
/// shared peer's models: its PyTorch figures come from the repository's `scripts/transformer-peer.py
/// train` (make_goldens.py's `Transformer`, same loop, same threads and OpenBLAS setup), found under
/// the working directory (the repository root) or at `--transformer-peer PATH`.
func runNNBench(arguments: [String]) throws {
    var archs: [Architecture] = [.mlp, .lstm, .tcn, .transformer]
    var epochs: [Architecture: Int] = [.mlp: 8, .lstm: 5, .tcn: 8, .transformer: 5]
    var threads = 2   // PyTorch peer: torch.set_num_threads(2) + OpenBLAS 1 thread; ours: 2 workers + OpenBLAS 1 thread
    var runPeer = true
    // ../shared beside the repository, or ASLSH_SHARED (as the tests find it)
    var peerDir = ProcessInfo.processInfo.environment["ASLSH_SHARED"].map { $0 + "/peers" } ?? "../shared/peers"
    if !FileManager.default.fileExists(atPath: peerDir), FileManager.default.fileExists(atPath: "../../shared/peers") {
        peerDir = "../../shared/peers"
    }
    var peerPython = "/usr/bin/python3"
    var transformerPeer = TransformerPeer.defaultScript
    var it = arguments.makeIterator()
    while let arg = it.next() {
        switch arg {
        case "--archs": archs = (it.next() ?? "").split(separator: ",").compactMap { Architecture(rawValue: String($0)) }
        case "--epochs":
            for kv in (it.next() ?? "").split(separator: ",") {
                let p = kv.split(separator: "=")
                if p.count == 2, let a = Architecture(rawValue: String(p[0])), let n = Int(p[1]) { epochs[a] = n }
            }
        case "--threads": threads = Int(it.next() ?? "") ?? 1
        case "--no-peer": runPeer = false
        case "--peer-dir": peerDir = it.next() ?? peerDir
        case "--peer-python": peerPython = it.next() ?? peerPython
        case "--transformer-peer": transformerPeer = it.next() ?? transformerPeer
        default: throw NeuralNetError.badInput("unknown option \(arg)")
        }
    }
    BLASThreads.count = 1
    NNThreads.count = threads
    setvbuf(stdout, nil, _IOLBF, 0)   // progress lines appear as they happen, also when piped
    // Name the peer script(s) this run uses: the shared one for mlp/lstm/tcn, ours for the Transformer.
    let peerScripts = (archs.contains { $0 != .transformer } ? ["\(peerDir)/train_bench.py --config openblas-1t (mlp/lstm/tcn)"] : [])
        + (archs.contains(.transformer) ? ["\(transformerPeer) train (transformer)"] : [])
    print("aslsh-bench nn: \(NNThreads.count) worker threads × OpenBLAS \(BLASThreads.count) thread; "
          + (runPeer ? "peer: PyTorch, \(peerPython) \(peerScripts.joined(separator: " and ")), torch.set_num_threads(2), OpenBLAS 1 thread"
                     : "no peer")
          + "; archs \(archs.map(\.rawValue).joined(separator: ","))")
    // Per architecture: ours, then the peer right after, so both see similar machine load.
    var rows: [(Architecture, NNBenchResult)] = []
    var peer: [String: PeerFigures] = [:]
    for arch in archs {
        rows.append((arch, trainBenchmark(arch, epochs: epochs[arch] ?? 5)))
        if runPeer, arch == .transformer {
            if let (figures, parameters) = TransformerPeer.train(epochs: epochs[arch] ?? 5, script: transformerPeer, python: peerPython) {
                peer[arch.rawValue] = figures
                // Both sides build the same model; a different size means the two have drifted apart.
                if parameters != rows.last!.1.parameters {
                    print("peer: WARNING PyTorch transformer has \(parameters) parameters, aslsh's \(rows.last!.1.parameters)")
                }
            }
        } else if runPeer {
            peer.merge(try runPyTorchPeer(archs: [arch], epochs: epochs, dir: peerDir, python: peerPython)) { $1 }
        }
    }
    print("load average: \((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?")")
    print("")
    print("| arch | params | aslsh samples/s | PyTorch samples/s | speed-up (> 1 = aslsh faster) | aslsh samples/CPU-s | PyTorch samples/CPU-s | speed-up per CPU-second | aslsh peak RSS MiB | PyTorch train peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    func f(_ x: Double?) -> String { x.flatMap { $0.isNaN ? nil : String(format: "%.0f", $0) } ?? "–" }
    func ratio(_ a: Double, _ b: Double?) -> String { b.map { String(format: "%.2f×", a / $0) } ?? "–" }
    for (arch, r) in rows {
        let p = peer[arch.rawValue]
        print("| \(arch.rawValue) | \(r.parameters) | \(f(r.samplesPerSecond)) | \(f(p?.sps)) | \(ratio(r.samplesPerSecond, p?.sps)) | "
              + "\(f(r.samplesPerCPUSecond)) | \(f(p?.cpuSps)) | \(ratio(r.samplesPerCPUSecond, p?.cpuSps)) | "
              + "\(f(r.peakRSS)) | \(f(p?.rss)) |")
        BenchSummary.record("nn", "train \(arch.rawValue), batch 64", ours: r.samplesPerSecond, unit: "samples/s",
                            peer: p.map { ("PyTorch", $0.sps) }, lowerIsBetter: false)
    }
}

struct PeerFigures {
    var sps: Double
    var cpuSps: Double
    var rss: Double
}

struct NNBenchResult {
    var samplesPerSecond: Double
    /// Samples per second of this process's own CPU time (user + system): a figure the other jobs on a
    /// shared machine disturb much less than wall-clock throughput.
    var samplesPerCPUSecond: Double
    var peakRSS: Double
    var parameters: Int
    var finalLoss: Float
    var finalAccuracy: Float
}

/// Synthetic data with learnable structure: each class is a random prototype pose (per frame,
/// drifting over time for sequences), samples add noise; sequences get a valid length in T/2…T and
/// zero padding after it (mask 0), like the peer's data.
func syntheticDataset(n: Int, steps T: Int, classes: Int, seed: UInt64) -> (x: Tensor, mask: Tensor, labels: [Int]) {
    var rng = SeededRandom(seed: seed)
    let F = 63
    let start = Tensor.normal([classes, F], std: 0.3, using: &rng)
    let end = Tensor.normal([classes, F], std: 0.3, using: &rng)
    var x = [Float](repeating: 0, count: n * T * F)
    var mask = [Float](repeating: 0, count: n * T)
    var labels = [Int](repeating: 0, count: n)
    for i in 0..<n {
        let y = Int(rng.next() % UInt64(classes))
        labels[i] = y
        let length = T == 1 ? 1 : T / 2 + Int(rng.next() % UInt64(T - T / 2 + 1))
        for t in 0..<length {
            mask[i * T + t] = 1
            let tau = Float(t) / Float(max(length - 1, 1))
            for f in 0..<F {
                x[(i * T + t) * F + f] = start.scalars[y * F + f] * (1 - tau) + end.scalars[y * F + f] * tau + rng.normal(std: 0.15)
            }
        }
    }
    return (Tensor(shape: [n, T, F], scalars: x), Tensor(shape: [n, T], scalars: mask), labels)
}

func trainBenchmark(_ arch: Architecture, epochs: Int) -> NNBenchResult {
    let (n, T, classes) = arch == .mlp ? (20_000, 1, 26) : (5_000, 32, 50)
    let data = syntheticDataset(n: n, steps: T, classes: classes, seed: 1)
    let config = ModelConfig(architecture: arch, sequenceLength: T, classCount: classes)
    let model = config.makeModel(seed: 0)
    let optimizer = Adam(learningRate: 1e-3)
    let loss = CrossEntropyLoss()
    var rng = SeededRandom(seed: 2)
    let batch = 64
    resetPeakRSS()
    var rates: [Double] = [], cpuRates: [Double] = []
    var lastLoss: Float = 0, lastAccuracy: Float = 0
    for epoch in 0..<epochs {
        let start = Date()
        let cpuStart = processCPUSeconds()
        let order = rng.permutation(n)
        var lossSum = 0.0, correct = 0
        for i in stride(from: 0, to: n, by: batch) {
            let idx = Array(order[i..<min(i + batch, n)])
            let xb = data.x.gather(rows: idx), mb = data.mask.gather(rows: idx)
            let yb = idx.map { data.labels[$0] }
            let logits = model.forward(xb, mask: mb, training: true)
            let (l, dLogits) = loss.lossAndGradient(logits: logits, labels: yb)
            model.parameters.zeroGradients()
            model.backward(dLogits)
            optimizer.step(model.parameters)
            lossSum += Double(l) * Double(idx.count)
            correct += zip(logits.argmaxLastAxis(), yb).filter { $0 == $1 }.count
        }
        let seconds = Date().timeIntervalSince(start)
        let cpu = processCPUSeconds() - cpuStart
        rates.append(Double(n) / seconds)
        cpuRates.append(Double(n) / cpu)
        lastLoss = Float(lossSum / Double(n))
        lastAccuracy = Float(correct) / Float(n)
        print(String(format: "  [%@] epoch %d: %.2fs %.0f samples/s, cpu %.2fs, loss %.4f acc %.4f", arch.rawValue, epoch + 1,
                     seconds, Double(n) / seconds, cpu, lastLoss, lastAccuracy))
    }
    let steady = rates.count > 1 ? Array(rates.dropFirst()) : rates
    let steadyCPU = cpuRates.count > 1 ? Array(cpuRates.dropFirst()) : cpuRates
    return NNBenchResult(samplesPerSecond: median(steady), samplesPerCPUSecond: median(steadyCPU), peakRSS: peakRSSMiB(), parameters: model.parameters.count,
                         finalLoss: lastLoss, finalAccuracy: lastAccuracy)
}


/// Linux: writing 5 to /proc/self/clear_refs resets VmHWM (peak RSS) to the current RSS.
func resetPeakRSS() { try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8) }

func peakRSSMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return .nan }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return (Double(line.split(separator: " ")[1]) ?? .nan) / 1024
    }
    return .nan
}

/// Runs the PyTorch peer from a writable copy of the peers folder; returns samples/s and peak RSS per arch.
func runPyTorchPeer(archs: [Architecture], epochs: [Architecture: Int], dir: String,
                    python: String) throws -> [String: PeerFigures] {
    guard FileManager.default.fileExists(atPath: dir + "/train_bench.py") else {
        print("peer: \(dir)/train_bench.py not found; skipping PyTorch (use --peer-dir)")
        return [:]
    }
    guard FileManager.default.isExecutableFile(atPath: python) else {
        print("peer: \(python) not found; skipping PyTorch (use --peer-python)")
        return [:]
    }
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("aslsh-nn-peer-\(getpid())")
    try? FileManager.default.removeItem(at: work)
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    for file in ["train_bench.py", "common.py"] {
        try FileManager.default.copyItem(atPath: dir + "/" + file, toPath: work.appendingPathComponent(file).path)
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [work.appendingPathComponent("train_bench.py").path, "--config", "openblas-1t",
                         "--archs", archs.map(\.rawValue).joined(separator: ","),
                         "--epochs", archs.map { "\($0.rawValue)=\(epochs[$0] ?? 5)" }.joined(separator: ",")]
    print("peer: \(python) \(process.arguments!.joined(separator: " "))")
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        print("peer: exited \(process.terminationStatus); no PyTorch figures")
        return [:]
    }
    let json = try Data(contentsOf: work.appendingPathComponent("out/train_openblas-1t.json"))
    var result: [String: PeerFigures] = [:]
    for row in (try JSONSerialization.jsonObject(with: json) as? [[String: Any]]) ?? [] {
        guard let arch = row["arch"] as? String,
              let sps = (row["steady_samples_per_s"] as? [String: Any])?["median"] as? Double,
              let rss = (row["train_peak_rss_mib"] as? [String: Any])?["median"] as? Double,
              let run = (row["runs"] as? [[String: Any]])?.last,
              let epochs = run["epoch_rows"] as? [[String: Any]] else { continue }
        // samples per own-CPU-second over the epochs after the first, like ours
        let n = Double(run["n_train"] as? Int ?? 0)
        let cpu = epochs.dropFirst().compactMap { $0["own_cpu_s"] as? Double }.map { n / $0 }
        result[arch] = PeerFigures(sps: sps, cpuSps: median(cpu.isEmpty ? [.nan] : cpu), rss: rss)
    }
    try? FileManager.default.removeItem(at: work)
    return result
}
