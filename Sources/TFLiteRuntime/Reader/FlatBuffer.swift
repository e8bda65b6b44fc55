/// A bounds-checked view of a flatbuffer (https://flatbuffers.dev/internals/): every offset,
/// vtable entry, vector length and string is checked against the buffer before it is read, so
/// any byte string yields either values or `TFLiteError.malformed(offset:…)` — never a trap.
///
/// Layout reminders (all little-endian):
/// - root: a u32 offset at byte 0 to the root table; bytes 4..<8 hold the file identifier;
/// - table at T: an i32 at T; the vtable is at T − that value: u16 vtable size, u16 table size,
///   then one u16 per field (0 = absent) giving the field's offset from T;
/// - offset fields (tables, vectors, strings): a u32 at the field position P, target = P + u32;
/// - vectors and strings: a u32 element count, then the elements (strings end with a NUL).
struct FlatBuffer {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var count: Int { bytes.count }

    // MARK: scalars

    /// Throws unless `size` bytes starting at `offset` lie inside the buffer.
    func check(_ offset: Int, _ size: Int, _ what: @autoclosure () -> String) throws {
        guard offset >= 0, size >= 0, offset <= bytes.count, size <= bytes.count - offset else {
            throw TFLiteError.malformed(offset: max(offset, 0),
                                        reason: "\(what()) needs \(size) byte(s) but the file has \(bytes.count)")
        }
    }

    func u8(_ at: Int, _ what: @autoclosure () -> String = "byte") throws -> UInt8 {
        try check(at, 1, what())
        return bytes[at]
    }

    func u16(_ at: Int, _ what: @autoclosure () -> String = "u16") throws -> UInt16 {
        try check(at, 2, what())
        return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    func u32(_ at: Int, _ what: @autoclosure () -> String = "u32") throws -> UInt32 {
        try check(at, 4, what())
        return UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }

    func i32(_ at: Int, _ what: @autoclosure () -> String = "i32") throws -> Int32 {
        Int32(bitPattern: try u32(at, what()))
    }

    func u64(_ at: Int, _ what: @autoclosure () -> String = "u64") throws -> UInt64 {
        let lo = try u32(at, what()), hi = try u32(at + 4, what())
        return UInt64(lo) | UInt64(hi) << 32
    }

    // MARK: structure

    /// The root table (offset at byte 0).
    func root() throws -> Table {
        let target = Int(try u32(0, "root offset"))
        return try table(at: target, what: "root table")
    }

    /// The 4-byte file identifier, if the buffer is long enough to hold one.
    func fileIdentifier() -> String? {
        guard bytes.count >= 8 else { return nil }
        return String(decoding: bytes[4..<8], as: UTF8.self)
    }

    /// Validates the table at `position` and its vtable.
    func table(at position: Int, what: String) throws -> Table {
        let soffset = Int(try i32(position, "\(what) vtable offset"))
        let vtable = position - soffset
        let vtableSize = Int(try u16(vtable, "\(what) vtable"))
        guard vtableSize >= 4, vtableSize % 2 == 0 else {
            throw TFLiteError.malformed(offset: vtable, reason: "\(what) vtable size \(vtableSize) is invalid")
        }
        try check(vtable, vtableSize, "\(what) vtable")
        let tableSize = Int(try u16(vtable + 2, "\(what) table size"))
        guard tableSize >= 4 else {
            throw TFLiteError.malformed(offset: vtable + 2, reason: "\(what) inline size \(tableSize) is too small")
        }
        try check(position, tableSize, what)
        return Table(buffer: self, position: position, vtable: vtable,
                     fieldCount: (vtableSize - 4) / 2, size: tableSize, what: what)
    }
}

/// One validated table: field accessors return nil when the field is absent.
struct Table {
    let buffer: FlatBuffer
    let position: Int
    let vtable: Int
    let fieldCount: Int
    let size: Int
    let what: String

    /// Absolute position of field `index` (nil when absent), checked to hold `width` bytes.
    func fieldPosition(_ index: Int, width: Int) throws -> Int? {
        guard index < fieldCount else { return nil }
        let relative = Int(try buffer.u16(vtable + 4 + 2 * index, "\(what) vtable entry \(index)"))
        if relative == 0 { return nil }
        guard relative + width <= size else {
            throw TFLiteError.malformed(offset: vtable + 4 + 2 * index,
                                        reason: "\(what) field \(index) at +\(relative) overruns its \(size)-byte table")
        }
        return position + relative
    }

    func u8(_ index: Int, default value: UInt8 = 0) throws -> UInt8 {
        guard let at = try fieldPosition(index, width: 1) else { return value }
        return try buffer.u8(at, "\(what) field \(index)")
    }

    func i8(_ index: Int, default value: Int8 = 0) throws -> Int8 { Int8(bitPattern: try u8(index, default: UInt8(bitPattern: value))) }

    func bool(_ index: Int, default value: Bool = false) throws -> Bool { try u8(index, default: value ? 1 : 0) != 0 }

    func u32(_ index: Int, default value: UInt32 = 0) throws -> UInt32 {
        guard let at = try fieldPosition(index, width: 4) else { return value }
        return try buffer.u32(at, "\(what) field \(index)")
    }

    func i32(_ index: Int, default value: Int32 = 0) throws -> Int32 { Int32(bitPattern: try u32(index, default: UInt32(bitPattern: value))) }

    func f32(_ index: Int, default value: Float = 0) throws -> Float { Float(bitPattern: try u32(index, default: value.bitPattern)) }

    func u64(_ index: Int, default value: UInt64 = 0) throws -> UInt64 {
        guard let at = try fieldPosition(index, width: 8) else { return value }
        return try buffer.u64(at, "\(what) field \(index)")
    }

    /// Follows the u32 offset stored in field `index`.
    private func target(_ index: Int, _ kind: String) throws -> Int? {
        guard let at = try fieldPosition(index, width: 4) else { return nil }
        let relative = Int(try buffer.u32(at, "\(what) field \(index) offset"))
        let target = at + relative
        try buffer.check(target, 4, "\(what) field \(index) \(kind)")
        return target
    }

    func table(_ index: Int, what name: String) throws -> Table? {
        guard let at = try target(index, "table") else { return nil }
        return try buffer.table(at: at, what: name)
    }

    /// A vector of fixed-size elements: (first element position, count), bounds-checked.
    func vector(_ index: Int, elementSize: Int, what name: String) throws -> (start: Int, count: Int)? {
        guard let at = try target(index, "vector") else { return nil }
        let count = Int(try buffer.u32(at, "\(name) length"))
        let (bytes, overflow) = count.multipliedReportingOverflow(by: elementSize)
        guard !overflow else { throw TFLiteError.malformed(offset: at, reason: "\(name) length \(count) overflows") }
        try buffer.check(at + 4, bytes, "\(name) (\(count) element(s))")
        return (at + 4, count)
    }

    func int32Vector(_ index: Int, what name: String) throws -> [Int32]? {
        guard let (start, count) = try vector(index, elementSize: 4, what: name) else { return nil }
        return try (0..<count).map { try buffer.i32(start + 4 * $0, name) }
    }

    func floatVector(_ index: Int, what name: String) throws -> [Float]? {
        guard let (start, count) = try vector(index, elementSize: 4, what: name) else { return nil }
        return try (0..<count).map { Float(bitPattern: try buffer.u32(start + 4 * $0, name)) }
    }

    func int64Vector(_ index: Int, what name: String) throws -> [Int64]? {
        guard let (start, count) = try vector(index, elementSize: 8, what: name) else { return nil }
        return try (0..<count).map { Int64(bitPattern: try buffer.u64(start + 8 * $0, name)) }
    }

    /// A vector of tables: each element is a u32 offset relative to its own position.
    func tableVector(_ index: Int, what name: String) throws -> [Table]? {
        guard let (start, count) = try vector(index, elementSize: 4, what: name) else { return nil }
        return try (0..<count).map { i in
            let slot = start + 4 * i
            let target = slot + Int(try buffer.u32(slot, "\(name)[\(i)] offset"))
            return try buffer.table(at: target, what: "\(name)[\(i)]")
        }
    }

    /// A byte vector as a range into the buffer (no copy).
    func byteRange(_ index: Int, what name: String) throws -> Range<Int>? {
        guard let (start, count) = try vector(index, elementSize: 1, what: name) else { return nil }
        return start..<(start + count)
    }

    func string(_ index: Int, what name: String) throws -> String? {
        guard let range = try byteRange(index, what: name) else { return nil }
        return String(decoding: buffer.bytes[range], as: UTF8.self)
    }
}
