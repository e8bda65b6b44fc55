import TensorCore

/// `a[i]` on NumPy-style arrays: the i-th sub-array along the first axis.
enum ArraySlicing {
    static func slice(_ a: NDArray, at i: Int) -> NDArray {
        let inner = Array(a.shape.dropFirst())
        let size = inner.reduce(1, *)
        let range = (i * size)..<((i + 1) * size)
        let storage: NDArray.Storage
        switch a.storage {
        case .float32(let v): storage = .float32(Array(v[range]))
        case .float64(let v): storage = .float64(Array(v[range]))
        case .int64(let v): storage = .int64(Array(v[range]))
        case .int32(let v): storage = .int32(Array(v[range]))
        case .uint8(let v): storage = .uint8(Array(v[range]))
        case .bool(let v): storage = .bool(Array(v[range]))
        case .string(let v): storage = .string(Array(v[range]))
        }
        return NDArray(shape: inner, storage: storage)
    }
}
