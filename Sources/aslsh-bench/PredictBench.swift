import Datasets
import Dispatch
import Foundation
import Inference
import NeuralNets
import TensorCore
import Training

/// `aslsh-bench predict [--runs N]`: ASLPredictor single-sample latency (median, p99, after
/// warm-up) and batch-256 throughput for the peer's models (`../shared/peers/common.py` SPECS:
/// MLP 2×256 T=1 26 classes, LSTM 2×128 T=32 50 classes, TCN 4×64 k=3 T=32 50 classes), on the
/// checkpoint backend. The onnxruntime figures come from `peers/infer_bench.py` in the same run.
func runPredictBench(_ arguments: [String]) throws {
    let runs = arguments.firstIndex(of: "--runs").flatMap { Int(arguments[$0 + 1]) } ?? 2000
    BLASThreads.count = 1
    print("ASLPredictor (checkpoint backend, 1 thread): single sample = raw [T,21,3] → normalise → forward → softmax → sorted")
    print("model      T  classes  b1 median µs  b1 p99 µs  forward-only median µs  b256 samples/s")
    let specs: [(Architecture, Int, Int)] = [(.mlp, 1, 26), (.lstm, 32, 50), (.tcn, 32, 50)]
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
        print(String(format: "%-6@ %5d  %7d  %12.1f  %9.1f  %22.1f  %14.0f", architecture.rawValue as NSString, T, classes,
                     median(times), p99, median(forward), 256 / median(batch)))
    }
}
