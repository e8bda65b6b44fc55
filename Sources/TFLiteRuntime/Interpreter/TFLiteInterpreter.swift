import Dispatch
import TensorCore

/// Runs one subgraph of a `TFLiteModel` on float32 data.
///
/// Loading does all the work that does not depend on the input: constants are decoded once
/// (fp16 → fp32 bit-exactly; DEQUANTIZE of a constant becomes that constant), RESHAPE-like ops
/// become storage aliases, every other op is resolved to a kernel (unsupported ones fail here,
/// naming the op and its index), activation memory is planned into one arena and each kernel
/// receives its pointers. `invoke` then copies inputs in, runs the kernels and copies outputs
/// out; `run()` with `withInput`/`withOutput` avoids even those copies.
///
/// Not thread-safe: one interpreter per thread (they may share a `TFLiteModel`).
public final class TFLiteInterpreter {
    public let model: TFLiteModel
    /// Threads for BLAS and the depthwise kernels (set on OpenBLAS at every run: it is global).
    public let threads: Int
    public let inputNames: [String]
    public let inputShapes: [[Int]]
    /// In the subgraph's output order (e.g. MediaPipe palm: [Identity (regressors), Identity_1 (scores)]).
    public let outputNames: [String]
    public let outputShapes: [[Int]]

    private let subgraph: TFLiteModel.Subgraph
    private let kernels: [Kernel]
    private let inputPointers: [UnsafeMutablePointer<Float>]
    private let outputPointers: [UnsafeMutablePointer<Float>]
    private let storage: [FloatBuffer]   // keeps arena, scratch and constants alive
    /// Floats in the activation arena (after reuse planning).
    public let arenaFloats: Int

    /// Largest tensor, kernel scratch and arena accepted (2^26 floats = 256 MiB; the MediaPipe
    /// models need under 1 M): bigger shapes are treated as a corrupt file, not allocated.
    public static let maxTensorElements = 1 << 26

    /// `fuseOperators: false` keeps every operator a kernel of its own (tests compare the two).
    public init(model: TFLiteModel, threads: Int = 1, subgraph subgraphIndex: Int = 0, fuseOperators: Bool = true) throws {
        guard subgraphIndex >= 0, subgraphIndex < model.subgraphs.count else {
            throw TFLiteError.invalidModel(location: "model", reason: "subgraph \(subgraphIndex) of \(model.subgraphs.count)")
        }
        self.model = model
        self.threads = max(1, threads)
        let graph = model.subgraphs[subgraphIndex]
        subgraph = graph
        let tensors = graph.tensors

        // 0. Every shape must be non-negative and of a size we can allocate (a corrupt file
        // must fail here, not in an allocation or a kernel's index arithmetic).
        for (t, info) in tensors.enumerated() {
            var count = 1
            for d in info.shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: d)
                guard d >= 0, !overflow, product <= Self.maxTensorElements else {
                    throw TFLiteError.invalidModel(location: "tensor \(t) \(info.name.debugDescription)",
                                                   reason: "shape \(info.shape) is negative or larger than \(Self.maxTensorElements) elements")
                }
                count = product
            }
        }

        // 1. Constants.
        var floatConstants: [Int: [Float]] = [:]
        var intConstants: [Int: [Int]] = [:]
        var quantizedConstants: [Int: QuantizedConstant] = [:]
        for (t, info) in tensors.enumerated() where info.buffer > 0 && !model.buffers[info.buffer].isEmpty {
            let bytes = model.bufferBytes(info.buffer)
            let count = info.shape.reduce(1, *)
            guard let width = info.type.byteWidth else { continue }   // STRING etc.: no kernel reads them
            guard bytes.count == count * width else {
                throw TFLiteError.invalidModel(location: "tensor \(t) \(info.name.debugDescription)",
                                               reason: "\(bytes.count)-byte buffer for \(info.type) shape \(info.shape)")
            }
            switch info.type {
            case .float32: floatConstants[t] = ConstantDecoding.float32(bytes)
            case .float16: floatConstants[t] = ConstantDecoding.float16(bytes)
            case .int32: intConstants[t] = ConstantDecoding.int32(bytes).map(Int.init)
            case .int64: intConstants[t] = ConstantDecoding.int64(bytes).map { Int(truncatingIfNeeded: $0) }
            case .int8:
                // Through DEQUANTIZE (decoded there) or as a hybrid kernel's weights (read as is).
                if let q = info.quantization { quantizedConstants[t] = QuantizedConstant(values: bytes.map { Int8(bitPattern: $0) }, quantization: q) }
            default: break   // uint8/int16: only meaningful through DEQUANTIZE, decoded there
            }
        }

        // 2. Resolve ops: aliases, constant DEQUANTIZE, kernels.
        var aliasOf: [Int: Int] = [:]          // tensor → tensor whose storage it shares
        func root(_ t: Int) -> Int { var r = t; while let next = aliasOf[r] { r = next }; return r }
        var kernels: [Kernel] = []
        var kernelStep: [Int] = []              // op index of each kernel
        for (index, op) in graph.operators.enumerated() {
            let name = op.builtin.name
            if op.builtin == .dequantize {
                guard op.inputs.count == 1, op.outputs.count == 1, op.inputs[0] >= 0 else {
                    throw TFLiteError.unsupportedOperator(index: index, op: name, reason: "needs 1 input and 1 output")
                }
                let (src, dst) = (op.inputs[0], op.outputs[0])
                let info = tensors[src]
                if let values = floatConstants[src] {
                    floatConstants[dst] = values
                } else if info.buffer > 0, [.int8, .uint8, .int16].contains(info.type), let q = info.quantization {
                    let bytes = model.bufferBytes(info.buffer)
                    let raw: [Int32]
                    switch info.type {
                    case .int8: raw = bytes.map { Int32(Int8(bitPattern: $0)) }
                    case .uint8: raw = bytes.map { Int32($0) }
                    default: raw = stride(from: bytes.startIndex, to: bytes.endIndex, by: 2).map {
                        Int32(Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8)) }
                    }
                    guard let values = ConstantDecoding.dequantize(raw, shape: info.shape, quantization: q) else {
                        throw TFLiteError.unsupportedOperator(index: index, op: name, reason: "quantization parameters of tensor \(src) are inconsistent")
                    }
                    floatConstants[dst] = values
                } else {
                    throw TFLiteError.unsupportedOperator(index: index, op: name,
                        reason: "only constant FLOAT16 or quantised INT8/UINT8/INT16 inputs are supported (tensor \(src) is \(info.type))")
                }
                guard floatConstants[dst]!.count == tensors[dst].shape.reduce(1, *) else {
                    throw TFLiteError.shapeMismatch(index: index, op: name, reason: "input and output sizes differ")
                }
                continue
            }
            if OperatorRegistry.aliasing.contains(op.builtin) {
                guard op.inputs.count >= 1, op.outputs.count == 1, op.inputs[0] >= 0 else {
                    throw TFLiteError.unsupportedOperator(index: index, op: name, reason: "needs an input and 1 output")
                }
                let (src, dst) = (op.inputs[0], op.outputs[0])
                guard tensors[src].shape.reduce(1, *) == tensors[dst].shape.reduce(1, *) else {
                    throw TFLiteError.shapeMismatch(index: index, op: name,
                        reason: "input \(tensors[src].shape) and output \(tensors[dst].shape) hold different element counts")
                }
                guard root(src) != dst, floatConstants[dst] == nil, aliasOf[dst] == nil else {
                    throw TFLiteError.invalidModel(location: "operator \(index) (\(name))", reason: "output tensor \(dst) is already defined")
                }
                if let values = floatConstants[src] { floatConstants[dst] = values } else { aliasOf[dst] = src }
                continue
            }
            for t in op.inputs + op.outputs where t >= 0 && floatConstants[t] == nil && intConstants[t] == nil && quantizedConstants[t] == nil {
                guard tensors[t].type == .float32 else {
                    throw TFLiteError.unsupportedOperator(index: index, op: name,
                        reason: "tensor \(t) \(tensors[t].name.debugDescription) is \(tensors[t].type); only FLOAT32 activations are supported")
                }
            }
            let context = OpContext(index: index, op: op, tensors: tensors,
                                    floatConstant: { floatConstants[$0] }, intConstant: { intConstants[$0] },
                                    quantizedConstant: { quantizedConstants[$0] })
            kernels.append(try OperatorRegistry.kernel(for: context))
            kernelStep.append(index)
        }

        // 2b. Element-wise operators folded into the convolution before them.
        if fuseOperators {
            (kernels, kernelStep) = EpilogueFusion.apply(kernels: kernels, steps: kernelStep, graphOutputs: graph.outputs, root: root)
        }

        // 3. Storage: constants in their own blocks, activations planned into one arena.
        var storage: [FloatBuffer] = []
        var pointers = [UnsafeMutablePointer<Float>?](repeating: nil, count: tensors.count)
        var first: [Int: Int] = [:], last: [Int: Int] = [:]
        func touch(_ t: Int, _ step: Int) {
            let r = root(t)
            guard floatConstants[r] == nil else { return }
            first[r] = min(first[r] ?? step, step)
            last[r] = max(last[r] ?? step, step)
        }
        for t in graph.inputs { touch(t, -1) }
        for (k, kernel) in kernels.enumerated() {
            for t in kernel.inputIDs + kernel.outputIDs { touch(t, kernelStep[k]) }
        }
        for t in graph.outputs { touch(t, graph.operators.count) }
        for t in graph.inputs where floatConstants[t] != nil {
            throw TFLiteError.invalidModel(location: "subgraph input tensor \(t)", reason: "is a constant")
        }
        let roots = first.keys.sorted()
        let requests = roots.map { MemoryPlanner.Request(size: tensors[$0].shape.reduce(1, *), first: first[$0]!, last: last[$0]!) }
        let (offsets, total) = MemoryPlanner.plan(requests)
        let scratchCount = kernels.map(\.scratchCount).max() ?? 0
        guard total <= Self.maxTensorElements, scratchCount <= Self.maxTensorElements else {
            throw TFLiteError.invalidModel(location: "subgraph \(subgraphIndex)",
                                           reason: "needs \(total) arena + \(scratchCount) scratch floats, over the \(Self.maxTensorElements) limit")
        }
        let arena = FloatBuffer(count: total)
        storage.append(arena)
        for (i, r) in roots.enumerated() { pointers[r] = arena.pointer + offsets[i] }
        for (t, values) in floatConstants {
            let block = FloatBuffer(values)
            storage.append(block)
            pointers[t] = block.pointer
        }
        for t in aliasOf.keys { pointers[t] = pointers[root(t)] }
        let scratch = FloatBuffer(count: scratchCount)
        storage.append(scratch)
        for kernel in kernels {
            for t in kernel.inputIDs + kernel.outputIDs where pointers[t] == nil {
                throw TFLiteError.unsupportedOperator(index: kernel.opIndex, op: kernel.name,
                    reason: "tensor \(t) \(tensors[t].name.debugDescription) (\(tensors[t].type)) has no float storage")
            }
            kernel.bind(pointers: pointers, scratch: scratch.pointer)
        }

        for t in graph.outputs + graph.inputs where pointers[t] == nil {
            throw TFLiteError.invalidModel(location: "tensor \(t) \(tensors[t].name.debugDescription)",
                                           reason: "subgraph input/output has no storage (\(tensors[t].type))")
        }
        for t in graph.inputs + graph.outputs where tensors[t].type != .float32 {
            throw TFLiteError.invalidModel(location: "tensor \(t) \(tensors[t].name.debugDescription)",
                                           reason: "subgraph inputs/outputs must be FLOAT32, not \(tensors[t].type)")
        }
        self.kernels = kernels
        self.storage = storage
        arenaFloats = total
        inputPointers = graph.inputs.map { pointers[$0]! }
        outputPointers = graph.outputs.map { pointers[$0]! }
        inputNames = graph.inputs.map { tensors[$0].name }
        inputShapes = graph.inputs.map { tensors[$0].shape }
        outputNames = graph.outputs.map { tensors[$0].name }
        outputShapes = graph.outputs.map { tensors[$0].shape }
    }

    /// Number of kernels (operators minus DEQUANTIZE-of-constant and RESHAPE-like aliases).
    public var kernelCount: Int { kernels.count }

    /// Writes input `index` in place (count = product of `inputShapes[index]`).
    public func withInput<R>(_ index: Int, _ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: inputPointers[index], count: inputShapes[index].reduce(1, *)))
    }

    /// Reads output `index` in place; valid until the next run.
    public func withOutput<R>(_ index: Int, _ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: outputPointers[index], count: outputShapes[index].reduce(1, *)))
    }

    /// Runs every kernel on the current input buffers.
    public func run() {
        for kernel in kernels { kernel.run(threads: threads) }
    }

    /// Runs once, timing each kernel: seconds per op name, summed (for benchmarks and tuning), or
    /// with `eachOperator` one entry per operator, keyed by its index and shapes.
    public func profile(eachOperator: Bool = false) -> [(op: String, seconds: Double)] {
        var totals: [String: Double] = [:]
        for kernel in kernels {
            let start = DispatchTime.now().uptimeNanoseconds
            kernel.run(threads: threads)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let key = eachOperator ? "#\(kernel.opIndex) \(kernel.profileKey)\(kernel.profileShapes)" : kernel.profileKey
            totals[key, default: 0] += seconds
        }
        return totals.sorted { $0.value > $1.value }.map { ($0.key, $0.value) }
    }

    /// Copies `inputs` (in subgraph input order) in, runs, and returns the outputs in subgraph output order.
    public func invoke(_ inputs: [Tensor]) throws -> [Tensor] {
        guard inputs.count == inputShapes.count else {
            throw TFLiteError.invalidInput(index: inputs.count, reason: "got \(inputs.count) inputs, the model takes \(inputShapes.count)")
        }
        for (i, tensor) in inputs.enumerated() {
            guard tensor.shape == inputShapes[i] else {
                throw TFLiteError.invalidInput(index: i, reason: "shape \(tensor.shape), the model expects \(inputShapes[i]) (\(inputNames[i]))")
            }
            tensor.scalars.withUnsafeBufferPointer { inputPointers[i].update(from: $0.baseAddress!, count: $0.count) }
        }
        run()
        return outputShapes.indices.map { i in
            withOutput(i) { Tensor(shape: outputShapes[i], scalars: Array($0)) }
        }
    }
}
