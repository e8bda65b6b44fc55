import TensorCore
@testable import TFLiteRuntime

/// Builds one operator from tensors described in Swift, resolves it through the registry
/// exactly as the interpreter does, runs it and returns its outputs.
struct KernelHarness {
    struct TensorSpec {
        var shape: [Int]
        var floats: [Float]? = nil     // constant float data (nil = activation)
        var ints: [Int]? = nil         // constant integer data
        var type: TensorType = .float32
    }

    var tensors: [TensorSpec]
    var builtin: BuiltinOperator
    var options: OperatorOptions
    var inputs: [Int]
    var outputs: [Int]

    func makeKernel() throws -> Kernel {
        let infos = tensors.enumerated().map { i, t in
            TFLiteModel.TensorInfo(name: "t\(i)", shape: t.shape, type: t.ints != nil ? .int32 : t.type, buffer: 0,
                                   quantization: nil, isVariable: false)
        }
        let op = TFLiteModel.Operator(opcodeIndex: 0, builtin: builtin, version: 1, inputs: inputs, outputs: outputs, options: options)
        let context = OpContext(index: 0, op: op, tensors: infos,
                                floatConstant: { tensors[$0].floats }, intConstant: { tensors[$0].ints })
        return try OperatorRegistry.kernel(for: context)
    }

    /// Runs with `activations` as the values of the non-constant inputs, in order.
    func run(_ activations: [[Float]], threads: Int = 1) throws -> [[Float]] {
        let kernel = try makeKernel()
        var buffers: [UnsafeMutablePointer<Float>?] = tensors.map { _ in nil }
        var next = 0
        for (i, t) in tensors.enumerated() where t.ints == nil {
            let count = t.shape.reduce(1, *)
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            p.initialize(repeating: .nan, count: max(count, 1))
            if let f = t.floats { p.update(from: f, count: count) }
            else if inputs.contains(i) {
                // Activations feed the non-constant inputs in order; any left over (LSTM state) start at zero.
                if next < activations.count { p.update(from: activations[next], count: count); next += 1 }
                else { p.update(repeating: 0, count: count) }
            }
            buffers[i] = p
        }
        defer { for p in buffers { p?.deallocate() } }
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(kernel.scratchCount, 1))
        defer { scratch.deallocate() }
        kernel.bind(pointers: buffers, scratch: scratch)
        kernel.run(threads: threads)
        return outputs.map { Array(UnsafeBufferPointer(start: buffers[$0]!, count: tensors[$0].shape.reduce(1, *))) }
    }
}

func randomFloats(_ count: Int, _ rng: inout SeededRandom, scale: Float = 1) -> [Float] {
    (0..<count).map { _ in rng.uniform(-scale, scale) }
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "sizes differ: \(a.count) vs \(b.count)")
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}
