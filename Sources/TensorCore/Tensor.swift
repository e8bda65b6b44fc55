/// A dense float32 tensor: a shape and contiguous row-major (C-order) storage.
///
/// Value semantics (copy-on-write through `[Float]`); hot kernels take
/// `withUnsafeBufferPointer` / `withUnsafeMutableBufferPointer` views of `scalars`.
public struct Tensor: Equatable, Sendable {
    /// Extent of each axis, outermost first. A scalar has shape `[]`.
    public private(set) var shape: [Int]
    /// `shape.reduce(1, *)` values in C order.
    public var scalars: [Float]

    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        precondition(Tensor.count(of: shape) == scalars.count,
                     "shape \(shape) needs \(Tensor.count(of: shape)) values, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: 0, count: Tensor.count(of: shape)))
    }

    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: Tensor.count(of: shape)))
    }

    public init(scalar: Float) { self.init(shape: [], scalars: [scalar]) }

    /// Number of elements a shape holds.
    @inlinable public static func count(of shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Element count of a shape, or nil when it overflows `Int` (a hostile file header).
    public static func checkedCount(of shape: [Int]) -> Int? {
        var total = 1
        for extent in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: extent)
            if overflow || extent < 0 { return nil }
            total = product
        }
        return total
    }

    public var count: Int { scalars.count }
    public var rank: Int { shape.count }

    /// Row-major strides in elements: `strides[i] = shape[(i+1)...].product`.
    public var strides: [Int] {
        var result = [Int](repeating: 1, count: shape.count)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            result[axis] = step
            step *= shape[axis]
        }
        return result
    }

    /// Flat offset of a multi-index (bounds are checked: an out-of-range index is a programmer error).
    @inlinable public func offset(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index rank \(index.count) ≠ tensor rank \(shape.count)")
        var flat = 0
        for (axis, i) in index.enumerated() {
            precondition(i >= 0 && i < shape[axis], "index \(index) out of range for shape \(shape)")
            flat = flat * shape[axis] + i
        }
        return flat
    }

    public subscript(_ index: Int...) -> Float {
        get { scalars[offset(index)] }
        set { scalars[offset(index)] = newValue }
    }

    /// Same storage viewed with another shape; one extent may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let hole = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != hole }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            resolved[hole] = count / known
        }
        return Tensor(shape: resolved, scalars: scalars)
    }

    /// Rows `range` of the outermost axis, e.g. a mini-batch of a `[N, ...]` tensor.
    public func slice(rows range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0],
                     "rows \(range) out of range for shape \(shape)")
        let rowSize = count / max(shape[0], 1)
        var newShape = shape
        newShape[0] = range.count
        return Tensor(shape: newShape,
                      scalars: Array(scalars[(range.lowerBound * rowSize)..<(range.upperBound * rowSize)]))
    }

    /// Gathers rows of the outermost axis in the given order (batching with shuffled indices).
    public func gather(rows indices: [Int]) -> Tensor {
        precondition(rank >= 1, "gather needs rank ≥ 1")
        let rowSize = shape[0] == 0 ? 0 : count / shape[0]
        var out = [Float]()
        out.reserveCapacity(indices.count * rowSize)
        for i in indices {
            precondition(i >= 0 && i < shape[0], "row \(i) out of range for shape \(shape)")
            out.append(contentsOf: scalars[(i * rowSize)..<((i + 1) * rowSize)])
        }
        var newShape = shape
        newShape[0] = indices.count
        return Tensor(shape: newShape, scalars: out)
    }

    /// Transpose of a rank-2 tensor: `[m, n] → [n, m]`.
    public func transposed() -> Tensor {
        precondition(rank == 2, "transposed() needs rank 2, got \(shape)")
        let (m, n) = (shape[0], shape[1])
        var out = [Float](repeating: 0, count: count)
        for i in 0..<m { for j in 0..<n { out[j * m + i] = scalars[i * n + j] } }
        return Tensor(shape: [n, m], scalars: out)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { String(format: "%.4g", Double($0)) }.joined(separator: ", ")
        return "Tensor\(shape)[\(preview)\(count > 8 ? ", …" : "")]"
    }
}
