/// An owned, 64-byte-aligned float block that lives as long as the interpreter: constants after
/// conversion, the activation arena, kernel scratch. Kernels hold raw pointers into these, so
/// an invocation allocates nothing.
final class FloatBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { pointer.deallocate() }
}

/// Data-type conversions done once at load time.
enum ConstantDecoding {
    /// IEEE 754 binary16 → binary32. Exact: every half value is representable as a float.
    @inline(__always)
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1f
        let mantissa = UInt32(h & 0x3ff)
        if exponent == 0 {
            // Zero or subnormal: mantissa · 2⁻²⁴ (exact in float).
            let magnitude = Float(mantissa) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7f80_0000 | mantissa << 13) } // inf/NaN
        return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
    }

    /// Little-endian 32-bit words of a byte slice.
    static func words(_ bytes: ArraySlice<UInt8>) -> [UInt32] {
        let base = bytes.startIndex
        return (0..<(bytes.count / 4)).map { i in
            let o = base + 4 * i
            return UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
        }
    }

    static func float32(_ bytes: ArraySlice<UInt8>) -> [Float] { words(bytes).map(Float.init(bitPattern:)) }

    static func int32(_ bytes: ArraySlice<UInt8>) -> [Int32] { words(bytes).map(Int32.init(bitPattern:)) }

    static func float16(_ bytes: ArraySlice<UInt8>) -> [Float] {
        let base = bytes.startIndex
        return (0..<(bytes.count / 2)).map { i in
            halfToFloat(UInt16(bytes[base + 2 * i]) | UInt16(bytes[base + 2 * i + 1]) << 8)
        }
    }

    static func int64(_ bytes: ArraySlice<UInt8>) -> [Int64] {
        let base = bytes.startIndex
        return (0..<(bytes.count / 8)).map { i in
            var v: UInt64 = 0
            for b in 0..<8 { v |= UInt64(bytes[base + 8 * i + b]) << (8 * UInt64(b)) }
            return Int64(bitPattern: v)
        }
    }

    /// Affine dequantisation f = scale · (q − zero_point), per tensor or per channel along
    /// `quantization.quantizedDimension` (schema.fbs, QuantizationParameters).
    static func dequantize(_ q: [Int32], shape: [Int], quantization: TFLiteModel.Quantization) -> [Float]? {
        let scales = quantization.scale, zeros = quantization.zeroPoint
        guard !scales.isEmpty else { return nil }
        if scales.count == 1 {
            let s = scales[0], z = Int32(truncatingIfNeeded: zeros.first ?? 0)
            return q.map { s * Float($0 - z) }
        }
        let axis = quantization.quantizedDimension
        guard axis >= 0, axis < shape.count, shape[axis] == scales.count,
              zeros.isEmpty || zeros.count == 1 || zeros.count == scales.count else { return nil }
        let inner = shape[(axis + 1)...].reduce(1, *)
        return q.enumerated().map { i, v in
            let c = (i / max(inner, 1)) % scales.count
            let z = zeros.isEmpty ? 0 : Int32(truncatingIfNeeded: zeros.count == 1 ? zeros[0] : zeros[c])
            return scales[c] * Float(v - z)
        }
    }
}
