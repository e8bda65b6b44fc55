import Foundation
import TensorCore
import TFLiteRuntime
import Training

/// An exported `.tflite` classifier on aslsh's own TFLite runtime. The metadata entry `"aslsh"`
/// holds the `ModelMetadata` JSON; inputs are found by name (`landmarks`, `mask`), else by rank
/// (4 → landmarks, 2 → mask); the output `logits` (else the first output).
///
/// TFLite shapes are fixed, so the file's batch size b is the unit of work: a batch of B
/// samples runs in ⌈B / b⌉ invocations, the last one padded with masked zeros.
public final class TFLiteBackend: ClassifierBackend {
    public let metadata: ModelMetadata
    public let source: URL
    public var format: String { "tflite" }
    let interpreter: TFLiteInterpreter
    let landmarksInput: Int, maskInput: Int?, logitsOutput: Int
    /// Samples per invocation (the file's batch dimension).
    public let fileBatch: Int

    public init(url: URL) throws {
        let path = url.path
        func bad(_ reason: String) -> InferenceError { .badModel(file: path, reason: reason) }
        let model: TFLiteModel
        do { model = try TFLiteModel(contentsOf: url) } catch { throw bad("\(error)") }
        guard let bytes = model.metadata(named: ModelMetadata.key) else {
            throw bad("no \"\(ModelMetadata.key)\" metadata entry (not exported by aslsh; label names and normalisation unknown)")
        }
        do { metadata = try ModelMetadata(json: String(decoding: bytes, as: UTF8.self), source: path) } catch {
            throw bad("\(error)")
        }
        do { interpreter = try TFLiteInterpreter(model: model) } catch { throw bad("\(error)") }
        source = url
        let shapes = interpreter.inputShapes, names = interpreter.inputNames
        guard let x = names.firstIndex(of: "landmarks") ?? shapes.firstIndex(where: { $0.count == 4 }) else {
            throw bad("no input 'landmarks' [B, T, K, 3] (inputs: \(names) \(shapes))")
        }
        landmarksInput = x
        maskInput = names.firstIndex(of: "mask") ?? shapes.indices.first { $0 != x && shapes[$0].count == 2 }
        logitsOutput = interpreter.outputNames.firstIndex(of: "logits") ?? 0
        let T = metadata.config.sequenceLength, C = metadata.labelNames.count
        let xShape = shapes[x], K = metadata.config.featureCount / 3
        guard xShape.count == 4, xShape[0] >= 1, xShape[1] == T, xShape[2] == K, xShape[3] == 3 else {
            throw bad("input 'landmarks' has shape \(xShape), the metadata says [B, \(T), \(K), 3]")
        }
        fileBatch = xShape[0]
        if let m = maskInput, shapes[m] != [fileBatch, T] {
            throw bad("input 'mask' has shape \(shapes[m]), expected [\(fileBatch), \(T)]")
        }
        guard interpreter.outputShapes.indices.contains(logitsOutput), interpreter.outputShapes[logitsOutput] == [fileBatch, C] else {
            throw bad("output 'logits' has shape \(interpreter.outputShapes.first ?? []), expected [\(fileBatch), \(C)] for \(C) labels")
        }
    }

    public func logits(x: Tensor, mask: Tensor) throws -> Tensor {
        let B = x.shape[0], T = metadata.config.sequenceLength, C = metadata.labelNames.count
        let frame = metadata.config.featureCount, perSample = T * frame
        var out = [Float](repeating: 0, count: B * C)
        x.scalars.withUnsafeBufferPointer { xs in
            mask.scalars.withUnsafeBufferPointer { ms in
                for start in stride(from: 0, to: B, by: fileBatch) {
                    let n = min(fileBatch, B - start)
                    interpreter.withInput(landmarksInput) { dst in
                        dst.baseAddress!.update(from: xs.baseAddress! + start * perSample, count: n * perSample)
                        if n < fileBatch { (dst.baseAddress! + n * perSample).update(repeating: 0, count: (fileBatch - n) * perSample) }
                    }
                    if let m = maskInput {
                        interpreter.withInput(m) { dst in
                            dst.baseAddress!.update(from: ms.baseAddress! + start * T, count: n * T)
                            if n < fileBatch { (dst.baseAddress! + n * T).update(repeating: 0, count: (fileBatch - n) * T) }
                        }
                    }
                    interpreter.run()
                    interpreter.withOutput(logitsOutput) { src in
                        for i in 0..<(n * C) { out[start * C + i] = src[i] }
                    }
                }
            }
        }
        return Tensor(shape: [B, C], scalars: out)
    }
}
