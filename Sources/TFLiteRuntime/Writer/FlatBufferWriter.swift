/// A minimal flatbuffer serialiser for trees of tables, vectors and strings: enough to write
/// TFLite models. It writes front to back: a parent comes first with placeholder offsets, and each
/// child is appended later and patched in. That is legal because every uoffset points forward.
/// Scalars are aligned to their size, vectors to max(4, element size) (16 for byte blobs, as
/// TFLite asks for buffers).
indirect enum FlatBufferObject {
    case table([FlatBufferField?])          // field k = vtable slot k; nil = absent
    case string(String)
    case bytes([UInt8])
    case int32s([Int32])
    case int64s([Int64])
    case floats([Float])
    case tables([FlatBufferObject])
}

enum FlatBufferField {
    case u8(UInt8)
    case i32(Int32)
    case u32(UInt32)
    case f32(Float)
    case u64(UInt64)
    case object(FlatBufferObject)

    var size: Int {
        switch self {
        case .u8: return 1
        case .i32, .u32, .f32, .object: return 4
        case .u64: return 8
        }
    }
}

struct FlatBufferWriter {
    private(set) var bytes: [UInt8] = []
    private var pending: [(patch: Int, object: FlatBufferObject)] = []

    /// Serialises `root` with the 4-byte file identifier.
    static func serialize(root: FlatBufferObject, identifier: String) -> [UInt8] {
        var w = FlatBufferWriter()
        w.bytes = [0, 0, 0, 0] + Array(identifier.utf8.prefix(4))
        w.pending.append((0, root))
        while !w.pending.isEmpty {
            let (patch, object) = w.pending.removeFirst()
            let position = w.write(object)
            w.put(UInt32(position - patch), at: patch)
        }
        return w.bytes
    }

    private mutating func align(_ alignment: Int, extra: Int = 0) {
        while (bytes.count + extra) % alignment != 0 { bytes.append(0) }
    }

    private mutating func put(_ v: UInt32, at: Int) {
        for k in 0..<4 { bytes[at + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(k))) }
    }

    private mutating func append<T: FixedWidthInteger>(_ v: T) {
        for k in 0..<(T.bitWidth / 8) { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * k))) }
    }

    /// Writes one object and returns the position its offset must point at.
    private mutating func write(_ object: FlatBufferObject) -> Int {
        switch object {
        case let .table(fields):
            // vtable: [vtable size, table size, field offsets…], then the table: [soffset, fields…].
            // Fields are laid out largest first so each is aligned within an 8-aligned table.
            let present = fields.enumerated().compactMap { i, f in f.map { (i, $0) } }.sorted { $0.1.size > $1.1.size }
            var layout: [Int: Int] = [:]
            var offset = 4
            for (i, f) in present {
                offset = (offset + f.size - 1) / f.size * f.size
                layout[i] = offset
                offset += f.size
            }
            let tableSize = (offset + 3) / 4 * 4
            let vtableSize = 4 + 2 * fields.count
            align(8, extra: vtableSize)           // table start (after the vtable) 8-aligned
            let vtable = bytes.count
            append(UInt16(vtableSize))
            append(UInt16(tableSize))
            for i in fields.indices { append(UInt16(layout[i] ?? 0)) }
            let table = bytes.count
            append(Int32(table - vtable))
            bytes.append(contentsOf: [UInt8](repeating: 0, count: tableSize - 4))
            for (i, f) in present {
                let at = table + layout[i]!
                switch f {
                case let .u8(v): bytes[at] = v
                case let .i32(v): put(UInt32(bitPattern: v), at: at)
                case let .u32(v): put(v, at: at)
                case let .f32(v): put(v.bitPattern, at: at)
                case let .u64(v): put(UInt32(truncatingIfNeeded: v), at: at); put(UInt32(truncatingIfNeeded: v >> 32), at: at + 4)
                case let .object(child): pending.append((at, child))
                }
            }
            return table
        case let .string(s):
            align(4)
            let start = bytes.count
            append(UInt32(s.utf8.count))
            bytes.append(contentsOf: Array(s.utf8) + [0])
            return start
        case let .bytes(b):
            align(16, extra: 4)
            let start = bytes.count
            append(UInt32(b.count))
            bytes.append(contentsOf: b)
            return start
        case let .int32s(v):
            align(4)
            let start = bytes.count
            append(UInt32(v.count))
            for x in v { append(x) }
            return start
        case let .int64s(v):
            align(8, extra: 4)
            let start = bytes.count
            append(UInt32(v.count))
            for x in v { append(x) }
            return start
        case let .floats(v):
            align(4)
            let start = bytes.count
            append(UInt32(v.count))
            for x in v { append(x.bitPattern) }
            return start
        case let .tables(children):
            align(4)
            let start = bytes.count
            append(UInt32(children.count))
            for (k, child) in children.enumerated() {
                append(UInt32(0))
                pending.append((start + 4 + 4 * k, child))
            }
            return start
        }
    }
}
