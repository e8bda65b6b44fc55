import Datasets
import Dispatch
import Foundation
import Inference
import NeuralNets
import ONNXExport
import TensorCore
import Training

/// `aslsh-bench predict [--runs N] [--archs mlp,lstm,tcn]`: ASLPredictor single-sample latency (median, p99, after
/// warm-up) and batch-256 throughput for the peer's models (`../shared/peers/common.py` SPECS:
/// MLP 2×256 T=1 26 classes, LSTM 2×128 T=32 50 classes, TCN 4×64 k=3 T=32 50 classes), on the
/// checkpoint backend. Peer, same run: the same model exported by `ONNXExporter`, run by
/// onnxruntime (1 intra-op thread, batch 1, the same inputs) — when python3 has onnxruntime.
func runPredictBench(_ arguments: [String]) throws {
    let runs = arguments.firstIndex(of: "--runs").flatMap { Int(arguments[$0 + 1]) } ?? 2000
    BLASThreads.count = 1
    print("ASLPredictor (checkpoint backend, 1 thread): single sample = raw [T,21,3] → normalise → forward → softmax → sorted")
    print("model      T  classes  b1 median µs  b1 p99 µs  forward-only median µs  b256 samples/s  onnxruntime b1 µs  b256/s")
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("aslsh-predict-bench-\(getpid())")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }
    let only = arguments.firstIndex(of: "--archs").map { arguments[$0 + 1].split(separator: ",").map(String.init) }
    let specs: [(Architecture, Int, Int)] = [(.mlp, 1, 26), (.lstm, 32, 50), (.tcn, 32, 50)]
        .filter { only?.contains($0.0.rawValue) ?? true }
    for (architecture, T, classes) in specs {
        let config = ModelConfig(architecture: architecture, sequenceLength: T, classCount: classes)
        let model = config.makeModel(seed: 1)
        let meta = ModelMetadata(config: config, labelNames: (0..<classes).map { "c\($0)" }, normalisation: LandmarkNormalizer.name, seed: 1)
        let predictor = try ASLPredictor(backend: CheckpointBackend(model: model, metadata: meta, source: URL(fileURLWithPath: "bench")))
        var rng = SeededRandom(seed: 7)
        let samples = (0..<256).map { _ in Tensor(shape: [T, 21, 3], scalars: (0..<(T * 63)).map { _ in rng.uniform() }) }
        // Batch 1, end to end.
        for i in 0..<200 { _ = try predictor.predictDistribution(samples[i % 256]) }
        var times: [Double] = []
        times.reserveCapacity(runs)
        for i in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try predictor.predictDistribution(samples[i % 256])
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3)
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
        // Batch 256, end to end (preparation included).
        for _ in 0..<3 { _ = try predictor.predictBatch(samples, k: 1) }
        var batch: [Double] = []
        for _ in 0..<20 {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try predictor.predictBatch(samples, k: 1)
            batch.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let onnx = work.appendingPathComponent("\(architecture.rawValue).onnx")
        try ONNXExporter.write(model: model, metadata: meta, to: onnx)
        let peer = onnxruntimeLatency(onnx, T: T, runs: runs)
        print(String(format: "%-6@ %5d  %7d  %12.1f  %9.1f  %22.1f  %14.0f  %17@  %6@", architecture.rawValue as NSString, T, classes,
                     median(times), p99, median(forward), 256 / median(batch),
                     (peer.map { String(format: "%.1f", $0.b1) } ?? "n/a") as NSString, (peer.map { String(format: "%.0f", $0.b256) } ?? "n/a") as NSString))
        BenchSummary.record("predict", "\(architecture.rawValue) T=\(T), 1 sample", ours: median(times), unit: "µs",
                            peer: peer.map { ("onnxruntime", $0.b1) }, lowerIsBetter: true)
    }
}

/// onnxruntime on the exported file, 1 thread: median batch-1 latency (µs) and batch-256
/// throughput (samples/s); nil when python3 or onnxruntime is missing.
private func onnxruntimeLatency(_ onnx: URL, T: Int, runs: Int) -> (b1: Double, b256: Double)? {
    let script = """
    import sys, time, numpy as np, onnxruntime as ort
    path, T, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    o = ort.SessionOptions(); o.intra_op_num_threads = 1; o.inter_op_num_threads = 1
    s = ort.InferenceSession(path, o, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(7)
    x = rng.random((256, T, 21, 3), dtype=np.float32); m = np.ones((256, T), np.float32)
    for i in range(200): s.run(None, {"landmarks": x[i:i+1], "mask": m[i:i+1]})
    ts = []
    for i in range(runs):
        a = time.perf_counter(); s.run(None, {"landmarks": x[i % 256:i % 256 + 1], "mask": m[i % 256:i % 256 + 1]}); ts.append(time.perf_counter() - a)
    for _ in range(3): s.run(None, {"landmarks": x, "mask": m})
    bs = []
    for _ in range(20):
        a = time.perf_counter(); s.run(None, {"landmarks": x, "mask": m}); bs.append(time.perf_counter() - a)
    print(sorted(ts)[len(ts) // 2] * 1e6, 256 / sorted(bs)[len(bs) // 2])
    """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script, onnx.path, String(T), String(runs)]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return nil }
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let numbers = output.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    guard process.terminationStatus == 0, numbers.count == 2 else { return nil }
    return (numbers[0], numbers[1])
}
