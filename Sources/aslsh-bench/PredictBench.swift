import Datasets
import Dispatch
import Foundation
import Inference
import NeuralNets
import ONNXExport
import TensorCore
import Training

/// `aslsh-bench predict [--runs N] [--rounds R] [--batches N] [--archs mlp,lstm,tcn,transformer]
///                      [--transformer-peer PATH] [--peer-python PATH]`: ASLPredictor single-sample
/// latency (median, p99, after warm-up) and batch-256 throughput for the peer's models
/// (`../shared/peers/common.py` SPECS: MLP 2×256 T=1 26 classes, LSTM 2×128 T=32 50 classes, TCN
/// 4×64 k=3 T=32 50 classes) and the Transformer (D 64, 2 layers, 4 heads, T=32 50 classes), on the
/// checkpoint backend. Peer, same run: the same model exported by
/// `ONNXExporter`, run by onnxruntime (1 intra-op thread, batch 1, the same inputs) in a Python
/// process kept open, when python3 has onnxruntime. Batch 256: median of `--batches` runs (default 50), in the same rounds alternating with the peer (whose figure is the median of its rounds). The single-sample runs alternate between the
/// two sides in R rounds (default 5) of N/R runs, so a change in machine load hits both alike.
/// Transformer only, second peer: PyTorch eager batch-1 forward (`scripts/transformer-peer.py latency`,
/// /usr/bin/python3 with torch 1.13, 1 thread, no_grad, N runs after warm-up), measured right after
/// our forward-only runs and printed below the table beside that forward-only figure.
func runPredictBench(_ arguments: [String]) throws {
    let runs = arguments.firstIndex(of: "--runs").flatMap { Int(arguments[$0 + 1]) } ?? 2000
    let rounds = max(1, arguments.firstIndex(of: "--rounds").flatMap { Int(arguments[$0 + 1]) } ?? 5)
    let batches = max(1, arguments.firstIndex(of: "--batches").flatMap { Int(arguments[$0 + 1]) } ?? 50)
    let transformerPeer = arguments.firstIndex(of: "--transformer-peer").map { arguments[$0 + 1] } ?? TransformerPeer.defaultScript
    let peerPython = arguments.firstIndex(of: "--peer-python").map { arguments[$0 + 1] } ?? TransformerPeer.defaultPython
    BLASThreads.count = 1
    NNThreads.count = 1   // one thread per side, as onnxruntime's intra_op_num_threads = 1
    print(BenchHeader.compute)
    print("ASLPredictor (checkpoint backend, 1 thread): single sample = raw [T,21,3] → normalise → forward → softmax → sorted;"
          + " \(rounds) rounds alternating with onnxruntime")
    print("(speed-ups: onnxruntime µs / aslsh µs for batch 1, aslsh samples/s / onnxruntime samples/s for batch 256; > 1 = aslsh faster)")
    print("model      T  classes  b1 median µs  b1 p99 µs  forward-only median µs  b256 samples/s  onnxruntime b1 µs  b256/s  speed-up b1  speed-up b256")
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("aslsh-predict-bench-\(getpid())")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }
    let only = arguments.firstIndex(of: "--archs").map { arguments[$0 + 1].split(separator: ",").map(String.init) }
    let specs: [(Architecture, Int, Int)] = [(.mlp, 1, 26), (.lstm, 32, 50), (.tcn, 32, 50), (.transformer, 32, 50)]
        .filter { only?.contains($0.0.rawValue) ?? true }
    var pytorchLines: [String] = []   // printed under the table, which has no PyTorch column
    for (architecture, T, classes) in specs {
        let config = ModelConfig(architecture: architecture, sequenceLength: T, classCount: classes)
        let model = config.makeModel(seed: 1)
        let meta = ModelMetadata(config: config, labelNames: (0..<classes).map { "c\($0)" }, normalisation: LandmarkNormalizer.name, seed: 1)
        let predictor = try ASLPredictor(backend: CheckpointBackend(model: model, metadata: meta, source: URL(fileURLWithPath: "bench")))
        var rng = SeededRandom(seed: 7)
        let samples = (0..<256).map { _ in Tensor(shape: [T, 21, 3], scalars: (0..<(T * 63)).map { _ in rng.uniform() }) }
        let onnx = work.appendingPathComponent("\(architecture.rawValue).onnx")
        try ONNXExporter.write(model: model, metadata: meta, to: onnx)
        let peer = OnnxruntimePeer(onnx: onnx, T: T)
        defer { peer?.close() }
        // Batch 1, end to end, alternating with the peer.
        for i in 0..<200 { _ = try predictor.predictDistribution(samples[i % 256]) }
        var times: [Double] = [], peerTimes: [Double] = []
        times.reserveCapacity(runs)
        for _ in 0..<rounds {
            for i in 0..<(runs / rounds) {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try predictor.predictDistribution(samples[i % 256])
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3)
            }
            peerTimes += peer?.singleSampleTimes(runs / rounds) ?? []
        }
        times.sort()
        let p99 = times[min(times.count - 1, Int(Double(times.count) * 0.99))]
        // The model's own forward on a prepared sample (what an ONNX session run does).
        let x = Tensor(shape: [1, T, 21, 3], scalars: samples[0].scalars), m = Tensor(shape: [1, T], scalars: [Float](repeating: 1, count: T))
        for _ in 0..<200 { _ = model.forward(x, mask: m, training: false) }
        var forward: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = model.forward(x, mask: m, training: false)
            forward.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3)
        }
        // PyTorch eager on the same model, right after our forward-only runs (the like-for-like figure:
        // a prepared [1, T, 21, 3] batch in, logits out); a fresh process, its result printed under the table.
        if architecture == .transformer,
           let torch = TransformerPeer.latency(runs: runs, script: transformerPeer, python: peerPython) {
            pytorchLines.append(String(format: "%@ T=%d %d classes: PyTorch %@ eager batch-1 forward (1 thread, no_grad; %@ latency --runs %d):"
                                       + " median %.1f µs, p99 %.1f µs; aslsh forward-only median %.1f µs;"
                                       + " speed-up (PyTorch µs / aslsh µs, > 1 = aslsh faster) %.2f× (vs aslsh end-to-end b1 median %.1f µs: %.2f×)",
                                       architecture.rawValue as NSString, T, classes, torch.torch as NSString, transformerPeer as NSString, runs,
                                       torch.median, torch.p99,
                                       median(forward), torch.median / median(forward), median(times), torch.median / median(times)))
            BenchSummary.record("predict", "\(architecture.rawValue) T=\(T), 1 sample, forward only", ours: median(forward), unit: "µs",
                                peer: ("PyTorch eager", torch.median), lowerIsBetter: true)
        }
        // Batch 256, end to end (preparation included), in rounds alternating with the peer: this
        // VM's speed drifts by a third within seconds, so each side's median is taken over the
        // same stretch of time as the other's.
        for _ in 0..<3 { _ = try predictor.predictBatch(samples, k: 1) }
        var batch: [Double] = [], peerRounds: [Double] = []
        for _ in 0..<rounds {
            for _ in 0..<max(1, batches / rounds) {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try predictor.predictBatch(samples, k: 1)
                batch.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            if let throughput = peer?.batchThroughput(max(1, batches / rounds)) { peerRounds.append(throughput) }
        }
        let peerB1 = peerTimes.isEmpty ? nil : median(peerTimes)
        let peerB256 = peerRounds.isEmpty ? nil : median(peerRounds)
        print(String(format: "%-6@ %5d  %7d  %12.1f  %9.1f  %22.1f  %14.0f  %17@  %6@  %11@  %13@", architecture.rawValue as NSString, T, classes,
                     median(times), p99, median(forward), 256 / median(batch),
                     (peerB1.map { String(format: "%.1f", $0) } ?? "n/a") as NSString, (peerB256.map { String(format: "%.0f", $0) } ?? "n/a") as NSString,
                     (peerB1.map { String(format: "%.2f×", $0 / median(times)) } ?? "n/a") as NSString,
                     (peerB256.map { String(format: "%.2f×", 256 / median(batch) / $0) } ?? "n/a") as NSString))
        BenchSummary.record("predict", "\(architecture.rawValue) T=\(T), 1 sample", ours: median(times), unit: "µs",
                            peer: peerB1.map { ("onnxruntime", $0) }, lowerIsBetter: true)
    }
    for line in pytorchLines { print(line) }
}

/// onnxruntime on the exported file, 1 intra-op thread, in a Python process that stays open
/// between requests (`b1 N`: N single-sample runs, their times in µs; `b256 N`: samples/s, median
/// of N batch-256 runs). nil when python3 or onnxruntime is missing.
private final class OnnxruntimePeer {
    private let process = Process()
    private let input: FileHandle
    private let output: FileHandle
    private var buffered = Data()

    private static let script = """
    import sys, time, numpy as np, onnxruntime as ort
    path, T = sys.argv[1], int(sys.argv[2])
    o = ort.SessionOptions(); o.intra_op_num_threads = 1; o.inter_op_num_threads = 1
    s = ort.InferenceSession(path, o, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(7)
    x = rng.random((256, T, 21, 3), dtype=np.float32); m = np.ones((256, T), np.float32)
    for i in range(200): s.run(None, {"landmarks": x[i:i+1], "mask": m[i:i+1]})
    print("ready", flush=True)
    for line in sys.stdin:
        cmd, n = line.split(); n = int(n)
        if cmd == "b1":
            ts = []
            for i in range(n):
                a = time.perf_counter(); s.run(None, {"landmarks": x[i % 256:i % 256 + 1], "mask": m[i % 256:i % 256 + 1]})
                ts.append((time.perf_counter() - a) * 1e6)
            print(" ".join("%.2f" % t for t in ts), flush=True)
        else:
            for _ in range(3): s.run(None, {"landmarks": x, "mask": m})
            bs = []
            for _ in range(n):
                a = time.perf_counter(); s.run(None, {"landmarks": x, "mask": m}); bs.append(time.perf_counter() - a)
            print(256 / sorted(bs)[len(bs) // 2], flush=True)
    """

    init?(onnx: URL, T: Int) {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script, onnx.path, String(T)]
        // NumPy's bundled OpenBLAS starts a thread per core that spins between calls; the peer
        // never multiplies with NumPy, and on 2 cores those idle spinners took ~13 % of the CPU
        // both sides were timed on. onnxruntime's own threads are set in the script.
        process.environment = ProcessInfo.processInfo.environment.merging(["OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"]) { _, new in new }
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        input = stdin.fileHandleForWriting
        output = stdout.fileHandleForReading
        guard (try? process.run()) != nil, readLine() == "ready" else { close(); return nil }
    }

    func singleSampleTimes(_ n: Int) -> [Double]? {
        request("b1 \(n)").map { $0.split(separator: " ").compactMap { Double($0) } }
    }

    func batchThroughput(_ n: Int) -> Double? { request("b256 \(n)").flatMap { Double($0) } }

    func close() {
        try? input.close()
        if process.isRunning { process.terminate() }
    }

    private func request(_ line: String) -> String? {
        guard process.isRunning else { return nil }
        input.write(Data((line + "\n").utf8))
        return readLine()
    }

    private func readLine() -> String? {
        while true {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffered[buffered.startIndex..<newline], as: UTF8.self)
                buffered = Data(buffered[(newline + 1)...])
                return line
            }
            let chunk = output.availableData
            if chunk.isEmpty { return nil }   // the process ended
            buffered += chunk
        }
    }
}
