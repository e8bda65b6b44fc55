/// An n-dimensional array of one of the element types that cross the NumPy / safetensors
/// boundary. `Tensor` is the float32 compute type; `NDArray` is the interchange type, so a
/// dataset's int64 labels and `<U` label names survive a round trip unchanged.
public struct NDArray: Equatable, Sendable {
    public enum Storage: Equatable, Sendable {
        case float32([Float])
        case float64([Double])
        case int64([Int64])
        case int32([Int32])
        case uint8([UInt8])
        case bool([Bool])
        /// NumPy `<U` strings; `width` is the fixed code-point width written (≥ longest string).
        case string([String])

        public var count: Int {
            switch self {
            case .float32(let v): v.count
            case .float64(let v): v.count
            case .int64(let v): v.count
            case .int32(let v): v.count
            case .uint8(let v): v.count
            case .bool(let v): v.count
            case .string(let v): v.count
            }
        }
    }

    public var shape: [Int]
    public var storage: Storage

    public init(shape: [Int], storage: Storage) {
        precondition(Tensor.count(of: shape) == storage.count,
                     "shape \(shape) needs \(Tensor.count(of: shape)) values, got \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    public init(_ tensor: Tensor) { self.init(shape: tensor.shape, storage: .float32(tensor.scalars)) }
    public init(float32 values: [Float], shape: [Int]? = nil) { self.init(shape: shape ?? [values.count], storage: .float32(values)) }
    public init(int64 values: [Int64], shape: [Int]? = nil) { self.init(shape: shape ?? [values.count], storage: .int64(values)) }
    public init(strings values: [String], shape: [Int]? = nil) { self.init(shape: shape ?? [values.count], storage: .string(values)) }
    public init(uint8 values: [UInt8], shape: [Int]? = nil) { self.init(shape: shape ?? [values.count], storage: .uint8(values)) }
    public init(bool values: [Bool], shape: [Int]? = nil) { self.init(shape: shape ?? [values.count], storage: .bool(values)) }

    public var count: Int { storage.count }

    /// Short dtype name as NumPy prints it (`float32`, `int64`, `<U5`, …).
    public var dtypeName: String {
        switch storage {
        case .float32: "float32"
        case .float64: "float64"
        case .int64: "int64"
        case .int32: "int32"
        case .uint8: "uint8"
        case .bool: "bool"
        case .string(let s): "<U\(s.map(\.unicodeScalars.count).max() ?? 0)"
        }
    }

    /// The values as float32 (numeric dtypes only; float64 is rounded, integers converted).
    public func tensor() -> Tensor? {
        switch storage {
        case .float32(let v): Tensor(shape: shape, scalars: v)
        case .float64(let v): Tensor(shape: shape, scalars: v.map { Float($0) })
        case .int64(let v): Tensor(shape: shape, scalars: v.map { Float($0) })
        case .int32(let v): Tensor(shape: shape, scalars: v.map { Float($0) })
        case .uint8(let v): Tensor(shape: shape, scalars: v.map { Float($0) })
        case .bool(let v): Tensor(shape: shape, scalars: v.map { $0 ? 1 : 0 })
        case .string: nil
        }
    }

    /// Integer values (integer and bool dtypes only; floats are not silently truncated).
    public func integers() -> [Int]? {
        switch storage {
        case .int64(let v): v.map { Int($0) }
        case .int32(let v): v.map { Int($0) }
        case .uint8(let v): v.map { Int($0) }
        case .bool(let v): v.map { $0 ? 1 : 0 }
        default: nil
        }
    }

    public func strings() -> [String]? {
        if case .string(let v) = storage { return v }
        return nil
    }
}
