import Foundation
import TensorCore

/// Writes TensorBoard event files: TFRecord framing around hand-encoded `tensorflow.Event`
/// protobufs (tensorflow/core/util/event.proto, summary.proto). The first record carries
/// `file_version = "brain.Event:2"`; each later one a scalar `Summary` for one step.
///
/// TFRecord record (tensorflow/core/lib/io/record_writer.cc):
///   uint64 LE length · uint32 LE masked_crc32c(length bytes) · data · uint32 LE masked_crc32c(data)
public final class TensorBoardWriter {
    public let url: URL
    private let handle: FileHandle

    /// Creates `<directory>/events.out.tfevents.<unix seconds>.<host>` and writes the version record.
    public init(directory: URL, now: Date = Date()) throws {
        do { try OutputFile.makeFolder(directory) } catch let problem as FileProblem { throw TrainingError.file(problem) }
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        // A resumed run writes a second file into the same run folder; never overwrite the first.
        var candidate = directory.appendingPathComponent("events.out.tfevents.\(Int(now.timeIntervalSince1970)).\(host)")
        var n = 1
        while FileManager.default.fileExists(atPath: candidate.path) {
            candidate = directory.appendingPathComponent("events.out.tfevents.\(Int(now.timeIntervalSince1970)).\(host).\(n)")
            n += 1
        }
        url = candidate
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw TrainingError.file(.writing(url.path, errno: errno)) }
        close(fd)
        handle = try FileHandle(forWritingTo: url)
        var event = ProtobufWriter()
        event.double(field: 1, now.timeIntervalSince1970)
        event.string(field: 3, "brain.Event:2")
        try write(record: event.bytes)
    }

    deinit { try? handle.close() }

    /// One `Event{wall_time, step, summary{value{tag, simple_value}…}}` record, flushed to disk.
    public func add(scalars: [(tag: String, value: Float)], step: Int, wallTime: Date = Date()) throws {
        var summary = ProtobufWriter()
        for (tag, value) in scalars {
            var v = ProtobufWriter()
            v.string(field: 1, tag)
            v.float(field: 2, value)
            summary.message(field: 1, v)
        }
        var event = ProtobufWriter()
        event.double(field: 1, wallTime.timeIntervalSince1970)
        event.varint(field: 2, UInt64(step))
        event.message(field: 5, summary)
        try write(record: event.bytes)
    }

    private func write(record data: [UInt8]) throws {
        try handle.write(contentsOf: Data(TensorBoardWriter.frame(data)))
        try handle.synchronize()
    }

    /// The TFRecord framing of one record.
    public static func frame(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        let length = UInt64(data.count)
        let lengthBytes = (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
        out += lengthBytes
        out += littleEndian(CRC32C.masked(lengthBytes))
        out += data
        out += littleEndian(CRC32C.masked(data))
        return out
    }

    static func littleEndian(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as TFRecord uses; check value
/// crc32c("123456789") = 0xE3069283 (RFC 3720 §B.4 / the CRC catalogue).
public enum CRC32C {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    /// Table-driven, one byte at a time.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        return ~crc
    }

    /// Bit-at-a-time reference for `checksum`.
    public static func naiveChecksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    /// TFRecord's mask (tensorflow/core/lib/hash/crc32c.h `Mask`): rotate right by 15, add 0xa282ead8.
    public static func masked(_ bytes: [UInt8]) -> UInt32 {
        let crc = checksum(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}

/// The few protobuf encodings an Event needs (protobuf.dev/programming-guides/encoding).
struct ProtobufWriter {
    var bytes: [UInt8] = []

    mutating func rawVarint(_ v: UInt64) {
        var v = v
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }

    /// Wire type 0.
    mutating func varint(field: Int, _ v: UInt64) { rawVarint(UInt64(field << 3)); rawVarint(v) }
    /// Wire type 1 (fixed64, little-endian).
    mutating func double(field: Int, _ v: Double) {
        rawVarint(UInt64(field << 3 | 1))
        bytes += (0..<8).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * $0)) }
    }
    /// Wire type 5 (fixed32, little-endian).
    mutating func float(field: Int, _ v: Float) {
        rawVarint(UInt64(field << 3 | 5))
        bytes += (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * $0)) }
    }
    /// Wire type 2.
    mutating func lengthDelimited(field: Int, _ payload: [UInt8]) {
        rawVarint(UInt64(field << 3 | 2))
        rawVarint(UInt64(payload.count))
        bytes += payload
    }
    mutating func string(field: Int, _ s: String) { lengthDelimited(field: field, Array(s.utf8)) }
    mutating func message(field: Int, _ m: ProtobufWriter) { lengthDelimited(field: field, m.bytes) }
}
