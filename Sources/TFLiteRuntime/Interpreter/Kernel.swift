import CKernels

/// One operator resolved at load time. Subclasses validate shapes and repack weights in their
/// initialisers (throwing with the op's index), receive activation pointers once in `bind`, and
/// do only arithmetic in `run`.
class Kernel {
    let opIndex: Int
    let name: String
    /// Tensor indices whose storage `run` reads (in the kernel's own order; `EpilogueFusion` may
    /// add one, before `bind`).
    var inputIDs: [Int]
    /// Tensor indices `run` writes.
    var outputIDs: [Int]
    private(set) var inputs: [UnsafeMutablePointer<Float>] = []
    private(set) var outputs: [UnsafeMutablePointer<Float>] = []
    private(set) var scratch: UnsafeMutablePointer<Float>?

    init(_ op: OpContext, inputs: [Int], outputs: [Int]) {
        opIndex = op.index
        name = op.op.builtin.name
        inputIDs = inputs
        outputIDs = outputs
    }

    /// Floats of scratch space `run` needs (shared by all kernels: they run one at a time).
    var scratchCount: Int { 0 }

    func bind(pointers: [UnsafeMutablePointer<Float>?], scratch: UnsafeMutablePointer<Float>) {
        inputs = inputIDs.map { pointers[$0]! }
        outputs = outputIDs.map { pointers[$0]! }
        self.scratch = scratch
    }

    /// Label under which `TFLiteInterpreter.profile` sums this kernel's time.
    var profileKey: String { name }

    /// Shapes shown beside the key when each operator is profiled on its own.
    var profileShapes: String { "" }

    func run(threads: Int) { fatalError("\(type(of: self)) must override run") }
}

/// What a kernel initialiser may ask about its operator while the model loads.
struct OpContext {
    let index: Int
    let op: TFLiteModel.Operator
    let tensors: [TFLiteModel.TensorInfo]
    /// Float data of constant tensors (fp32 as stored, fp16 and quantised ints converted).
    let floatConstant: (Int) -> [Float]?
    /// Integer data of INT32/INT64 constant tensors.
    let intConstant: (Int) -> [Int]?
    /// Raw values and scales of INT8 constants that no DEQUANTIZE consumes (hybrid kernels' weights).
    var quantizedConstant: (Int) -> QuantizedConstant? = { _ in nil }

    func fail(_ reason: String) -> TFLiteError {
        .unsupportedOperator(index: index, op: op.builtin.name, reason: reason)
    }

    func shapeError(_ reason: String) -> TFLiteError {
        .shapeMismatch(index: index, op: op.builtin.name, reason: reason)
    }

    /// Tensor index of input `i` (throws if absent or omitted).
    func input(_ i: Int) throws -> Int {
        guard i < op.inputs.count, op.inputs[i] >= 0 else { throw fail("input \(i) is missing") }
        return op.inputs[i]
    }

    /// Tensor index of input `i`, or nil when the model omits that optional input.
    func optionalInput(_ i: Int) -> Int? {
        i < op.inputs.count && op.inputs[i] >= 0 ? op.inputs[i] : nil
    }

    func output(_ i: Int) throws -> Int {
        guard i < op.outputs.count else { throw fail("output \(i) is missing") }
        return op.outputs[i]
    }

    func shape(_ tensor: Int) -> [Int] { tensors[tensor].shape }

    func expectInputs(_ range: ClosedRange<Int>, outputs: Int = 1) throws {
        guard range.contains(op.inputs.count) else {
            throw fail("has \(op.inputs.count) inputs, expected \(range.lowerBound)…\(range.upperBound)")
        }
        guard op.outputs.count == outputs else { throw fail("has \(op.outputs.count) outputs, expected \(outputs)") }
    }

    /// Float constant input `i` with exactly `count` values.
    func constantFloats(_ i: Int, count: Int, what: String) throws -> [Float] {
        let t = try input(i)
        guard let values = floatConstant(t) else { throw fail("\(what) (tensor \(t)) must be a constant") }
        guard values.count == count else { throw shapeError("\(what) has \(values.count) values, expected \(count)") }
        return values
    }

    func constantInts(_ i: Int, what: String) throws -> [Int] {
        let t = try input(i)
        guard let values = intConstant(t) else { throw fail("\(what) (tensor \(t)) must be an integer constant") }
        return values
    }

    func expectOutputShape(_ expected: [Int], _ tensor: Int) throws {
        guard shape(tensor) == expected else {
            throw shapeError("output tensor \(tensor) has shape \(shape(tensor)), the op computes \(expected)")
        }
    }

    func activation(_ a: FusedActivation) throws -> ActivationClamp {
        guard let clamp = ActivationClamp(a) else { throw fail("fused activation \(a) is not supported") }
        return clamp
    }
}

/// An INT8 constant as stored: value = scale[channel]·(q − zeroPoint[channel]) along `quantizedDimension`.
struct QuantizedConstant {
    let values: [Int8]
    let quantization: TFLiteModel.Quantization
}

/// A fused activation that is a clamp (NONE, RELU, RELU_N1_TO_1, RELU6).
struct ActivationClamp: Equatable {
    var lower: Float
    var upper: Float
    static let none = ActivationClamp(lower: -.infinity, upper: .infinity)

    init(lower: Float, upper: Float) { self.lower = lower; self.upper = upper }

    init?(_ a: FusedActivation) {
        switch a {
        case .none: self = .none
        case .relu: self.init(lower: 0, upper: .infinity)
        case .reluN1To1: self.init(lower: -1, upper: 1)
        case .relu6: self.init(lower: 0, upper: 6)
        default: return nil
        }
    }

    var isIdentity: Bool { self == .none }

    @inline(__always) func apply(_ v: Float) -> Float { min(max(v, lower), upper) }

    @inline(__always) func apply(_ v: SIMD8<Float>) -> SIMD8<Float> {
        // Compare-and-select: inlines to two compares and blends (pointwiseMin/Max do not inline).
        let lo = SIMD8<Float>(repeating: lower), hi = SIMD8<Float>(repeating: upper)
        return v.replacing(with: lo, where: v .< lo).replacing(with: hi, where: v .> hi)
    }
}

/// Runs `body(0)` … `body(count − 1)` on up to `threads` threads of the kernels' pool
/// (`ck_parallel`: persistent workers, tasks claimed one by one), in order on this thread when
/// `threads` is 1 or the pool is busy. Returns when all have run.
func parallelTasks(_ count: Int, threads: Int, _ body: (Int) -> Void) {
    if threads <= 1 || count < 2 { for t in 0..<count { body(t) }; return }
    withoutActuallyEscaping(body) { body in
        var job = TaskJob(body: body)
        withUnsafeMutablePointer(to: &job) { pointer in
            ck_parallel(Int32(clamping: count), { context, task in
                context!.assumingMemoryBound(to: TaskJob.self).pointee.body(Int(task))
            }, pointer, Int32(clamping: threads))
        }
    }
}

/// What `parallelTasks` hands the pool's C callback.
private struct TaskJob {
    let body: (Int) -> Void
}

/// Runs `body` over `0..<count` split into `threads` contiguous chunks.
func parallelChunks(_ count: Int, threads: Int, _ body: (Range<Int>) -> Void) {
    if threads <= 1 || count < 2 { body(0..<count); return }
    let parts = min(threads, count)
    parallelTasks(parts, threads: threads) { p in body((count * p / parts)..<(count * (p + 1) / parts)) }
}

/// Output extent and leading padding of one spatial axis, TFLite's rule
/// (tensorflow/lite/kernels/padding.h): SAME → out = ceil(in/s), total pad = max((out−1)·s + k_eff − in, 0),
/// `before` = floor(total/2) and the odd remainder goes after (bottom/right); VALID → no padding.
func convolutionGeometry(input: Int, kernel: Int, stride: Int, dilation: Int, padding: Padding) -> (output: Int, before: Int) {
    let effective = (kernel - 1) * dilation + 1
    switch padding {
    case .same:
        let output = (input + stride - 1) / stride
        let total = max((output - 1) * stride + effective - input, 0)
        return (output, total / 2)
    case .valid:
        return (max((input - effective + stride) / stride, 0), 0)
    }
}
