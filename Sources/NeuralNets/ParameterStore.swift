import TensorCore

/// Where one named parameter (or buffer) lives inside a `ParameterStore`: a contiguous range of
/// the flat block, with its logical shape (PyTorch's layout, e.g. Linear weight `[out, in]`).
public struct ParameterView: Sendable, Equatable {
    public var name: String
    public var offset: Int
    public var shape: [Int]
    public var count: Int { Tensor.count(of: shape) }
    public var range: Range<Int> { offset..<(offset + count) }
}

/// All trainable parameters of a model in one flat float block, their gradients in a second block
/// of the same layout, and non-trainable buffers (BatchNorm running statistics) in a third.
///
/// One flat block means the optimiser is one loop over `count` floats, gradient clipping is one
/// norm, zeroing gradients is one memset, and a checkpoint is one safetensors write (llm.c's
/// design). Layers keep `ParameterView`s and read `values + view.offset` while running; the
/// blocks only grow while a model is being built, never during forward/backward.
public final class ParameterStore {
    public private(set) var views: [ParameterView] = []
    public private(set) var bufferViews: [ParameterView] = []
    /// Number of trainable scalars.
    public private(set) var count = 0
    public private(set) var bufferCount = 0
    private var capacity = 0
    private var gradientCapacity = 0
    private var bufferCapacity = 0
    /// `[count]` parameter values.
    public private(set) var values: UnsafeMutablePointer<Float>
    /// `[count]` gradients, same layout as `values`; backward passes accumulate into them.
    public private(set) var gradients: UnsafeMutablePointer<Float>
    /// `[bufferCount]` non-trainable state saved with the parameters.
    public private(set) var buffers: UnsafeMutablePointer<Float>
    /// Bumped whenever parameter values may have changed (`add`, `set`, an optimiser step, or any
    /// other writer through `values` calling `markModified()`): layers that keep a derived copy of
    /// their weights (repacked for batch-1 prediction) rebuild it when this differs.
    public private(set) var generation = 0

    /// Call after writing parameter values through `values` / `value(_:)` directly.
    @inline(__always) public func markModified() { generation &+= 1 }

    public init() {
        values = .allocate(capacity: 1)
        gradients = .allocate(capacity: 1)
        buffers = .allocate(capacity: 1)
    }

    deinit {
        values.deallocate()
        gradients.deallocate()
        buffers.deallocate()
    }

    private static func grow(_ p: inout UnsafeMutablePointer<Float>, used: Int, capacity: inout Int, need: Int) {
        guard need > capacity else { return }
        let newCapacity = max(need, capacity * 2, 1024)
        let q = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity)
        q.update(from: p, count: used)
        p.deallocate()
        p = q
        capacity = newCapacity
    }

    /// Adds a trainable parameter drawn from U(−bound, bound) in C order (PyTorch's default
    /// initialisers are all of this form; see `PyTorchInit`).
    @discardableResult
    public func add(_ name: String, shape: [Int], uniformBound bound: Float, using rng: inout SeededRandom) -> ParameterView {
        add(name, shape: shape, values: (0..<Tensor.count(of: shape)).map { _ in rng.uniform(-bound, bound) })
    }

    /// Adds a trainable parameter with the given initial values (C order).
    @discardableResult
    public func add(_ name: String, shape: [Int], values initial: [Float]) -> ParameterView {
        precondition(initial.count == Tensor.count(of: shape), "\(name): \(initial.count) values for shape \(shape)")
        precondition(!views.contains { $0.name == name } && !bufferViews.contains { $0.name == name },
                     "duplicate parameter name \(name)")
        let view = ParameterView(name: name, offset: count, shape: shape)
        let oldCount = count
        ParameterStore.grow(&values, used: oldCount, capacity: &capacity, need: oldCount + view.count)
        ParameterStore.grow(&gradients, used: oldCount, capacity: &gradientCapacity, need: oldCount + view.count)
        for (j, i) in view.range.enumerated() { values[i] = initial[j]; gradients[i] = 0 }
        count += view.count
        views.append(view)
        markModified()
        return view
    }

    /// Adds a non-trainable buffer (e.g. BatchNorm `running_mean`) filled with `value`.
    @discardableResult
    public func addBuffer(_ name: String, shape: [Int], value: Float) -> ParameterView {
        precondition(!views.contains { $0.name == name } && !bufferViews.contains { $0.name == name },
                     "duplicate buffer name \(name)")
        let view = ParameterView(name: name, offset: bufferCount, shape: shape)
        ParameterStore.grow(&buffers, used: bufferCount, capacity: &bufferCapacity, need: bufferCount + view.count)
        for i in view.range { buffers[i] = value }
        bufferCount += view.count
        bufferViews.append(view)
        return view
    }

    @inline(__always) public func value(_ view: ParameterView) -> UnsafeMutablePointer<Float> { values + view.offset }
    @inline(__always) public func gradient(_ view: ParameterView) -> UnsafeMutablePointer<Float> { gradients + view.offset }
    @inline(__always) public func buffer(_ view: ParameterView) -> UnsafeMutablePointer<Float> { buffers + view.offset }

    public func view(named name: String) -> ParameterView? { views.first { $0.name == name } }

    public func zeroGradients() { gradients.update(repeating: 0, count: count) }

    /// A parameter's values as a tensor (a copy).
    public func tensor(_ name: String) -> Tensor? {
        if let v = views.first(where: { $0.name == name }) {
            return Tensor(shape: v.shape, scalars: Array(UnsafeBufferPointer(start: value(v), count: v.count)))
        }
        if let v = bufferViews.first(where: { $0.name == name }) {
            return Tensor(shape: v.shape, scalars: Array(UnsafeBufferPointer(start: buffer(v), count: v.count)))
        }
        return nil
    }

    /// A parameter's gradient as a tensor (a copy).
    public func gradientTensor(_ name: String) -> Tensor? {
        guard let v = views.first(where: { $0.name == name }) else { return nil }
        return Tensor(shape: v.shape, scalars: Array(UnsafeBufferPointer(start: gradient(v), count: v.count)))
    }

    /// Overwrites one parameter or buffer.
    public func set(_ name: String, _ tensor: Tensor) throws {
        let (view, base): (ParameterView, UnsafeMutablePointer<Float>)
        if let v = views.first(where: { $0.name == name }) { (view, base) = (v, values) }
        else if let v = bufferViews.first(where: { $0.name == name }) { (view, base) = (v, buffers) }
        else { throw NeuralNetError.unknownParameter(name) }
        guard tensor.shape == view.shape else {
            throw NeuralNetError.shapeMismatch(name: name, expected: view.shape, actual: tensor.shape)
        }
        tensor.scalars.withUnsafeBufferPointer { (base + view.offset).update(from: $0.baseAddress!, count: view.count) }
        markModified()
    }

    /// Every parameter then every buffer, named as in PyTorch's `state_dict` (one checkpoint write).
    public func safetensors(metadata: [String: String] = [:]) -> Safetensors {
        var tensors: [(name: String, array: NDArray)] = []
        for v in views { tensors.append((v.name, NDArray(float32: Array(UnsafeBufferPointer(start: value(v), count: v.count)), shape: v.shape))) }
        for v in bufferViews { tensors.append((v.name, NDArray(float32: Array(UnsafeBufferPointer(start: buffer(v), count: v.count)), shape: v.shape))) }
        return Safetensors(tensors: tensors, metadata: metadata)
    }

    /// Loads every parameter and buffer by name from a checkpoint (or a PyTorch state dict saved as
    /// safetensors/npz). Every name must be present with the right shape; extra names are errors
    /// too (`num_batches_tracked` excepted) so a checkpoint of another architecture is refused.
    public func load(_ arrays: [(name: String, array: NDArray)], source: String) throws {
        let known = Set(views.map(\.name) + bufferViews.map(\.name))
        for (name, _) in arrays where !known.contains(name) && !name.hasSuffix("num_batches_tracked") {
            throw NeuralNetError.unexpectedParameter(name: name, source: source)
        }
        for v in views + bufferViews {
            guard let array = arrays.first(where: { $0.name == v.name })?.array else {
                throw NeuralNetError.missingParameter(name: v.name, source: source)
            }
            guard let t = array.tensor() else {
                throw NeuralNetError.shapeMismatch(name: v.name, expected: v.shape, actual: array.shape)
            }
            try set(v.name, t)
        }
    }
}

/// Errors of the neural-network layer: every case names the parameter or file concerned.
public enum NeuralNetError: Error, CustomStringConvertible, Equatable {
    case unknownParameter(String)
    case shapeMismatch(name: String, expected: [Int], actual: [Int])
    case missingParameter(name: String, source: String)
    case unexpectedParameter(name: String, source: String)
    case badInput(String)

    public var description: String {
        switch self {
        case .unknownParameter(let n): "no parameter named \(n)"
        case .shapeMismatch(let n, let e, let a): "parameter \(n): expected shape \(e), got \(a)"
        case .missingParameter(let n, let s): "\(s): parameter \(n) is missing"
        case .unexpectedParameter(let n, let s): "\(s): unexpected parameter \(n) (another architecture?)"
        case .badInput(let s): s
        }
    }
}
