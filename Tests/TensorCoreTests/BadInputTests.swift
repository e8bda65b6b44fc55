import XCTest
import TestSupport
import ZIPFoundation
@testable import TensorCore

/// Damaged or hostile array files give a typed `ArrayFileError` naming the file (and the array
/// inside an archive) — never a crash, never a partial result — and failed writes leave the
/// destination untouched.
final class BadInputTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try TestEnvironment.temporaryDirectory("bad-input") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func error(_ body: () throws -> Any) -> ArrayFileError? {
        do { _ = try body(); return nil } catch let e as ArrayFileError { return e } catch {
            XCTFail("untyped error \(error)"); return nil
        }
    }

    let sample = NPY.encode(NDArray(shape: [2, 3], storage: .float32([1, 2, 3, 4, 5, 6])))

    func testEveryTruncationOfANpyFileIsATypedError() {
        for length in 0..<sample.count {
            let e = error { try NPY.decode(sample.prefix(length), file: "cut.npy") }
            XCTAssertNotNil(e, "prefix of \(length) bytes was accepted")
            XCTAssertEqual(e?.file, "cut.npy")
        }
        if case .sizeMismatch(let expected, let actual)? = error({ try NPY.decode(sample.dropLast(4), file: "x") })?.kind {
            XCTAssertEqual(expected, 24)
            XCTAssertEqual(actual, 20)
        } else { XCTFail("a missing value is a size mismatch") }
    }

    func testWrongMagicHeaderLiesAndUnsupportedDTypes() {
        var wrong = sample
        wrong[0] = 0x50
        XCTAssertEqual(error { try NPY.decode(wrong, file: "a.npy") }?.kind, .badMagic)

        func withHeader(_ header: String, payload: Int) -> Data {
            var h = header
            h += String(repeating: " ", count: (64 - (10 + h.utf8.count + 1) % 64) % 64) + "\n"
            var d = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(h.utf8.count & 0xFF), UInt8(h.utf8.count >> 8)])
            d.append(contentsOf: Array(h.utf8))
            d.append(Data(count: payload))
            return d
        }
        // The header claims 100 floats but 8 bytes follow.
        let lying = withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (100,), }", payload: 8)
        XCTAssertEqual(error { try NPY.decode(lying, file: "lie.npy") }?.kind, .sizeMismatch(expected: 400, actual: 8))
        // Extra bytes after the data are also a lie.
        let long = withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", payload: 12)
        XCTAssertEqual(error { try NPY.decode(long, file: "long.npy") }?.kind, .sizeMismatch(expected: 4, actual: 12))
        // A shape whose byte count overflows Int.
        let huge = withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", payload: 0)
        XCTAssertNotNil(error { try NPY.decode(huge, file: "huge.npy") })
        for descr in ["<c8", "|O", "<f2", "<u4"] {
            let d = withHeader("{'descr': '\(descr)', 'fortran_order': False, 'shape': (1,), }", payload: 8)
            guard case .unsupportedDType(let text)? = error({ try NPY.decode(d, file: "t.npy") })?.kind else {
                return XCTFail("\(descr) should be an unsupported dtype")
            }
            XCTAssertTrue(text.contains(descr))
        }
        let structured = withHeader("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", payload: 4)
        guard case .badHeader? = error({ try NPY.decode(structured, file: "s.npy") })?.kind else {
            return XCTFail("structured dtypes are rejected in the header")
        }
        let e = error { try NPY.decode(withHeader("{'descr': '<f4', 'shape': (1,), }", payload: 4), file: "nf.npy") }
        XCTAssertTrue(e?.description.contains("fortran_order") ?? false, e?.description ?? "")
    }

    func testRandomBytesNeverCrashTheReaders() {
        var rng = SeededRandom(seed: 2024)
        for trial in 0..<3000 {
            var bytes = [UInt8](sample)
            // Mutate 1–4 bytes of a valid file, or use pure noise with the real magic.
            if trial % 3 == 0 {
                bytes = (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                if bytes.count > 6 { bytes.replaceSubrange(0..<6, with: NPY.magic) }
            } else {
                for _ in 0...(rng.next() % 4) { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            }
            _ = try? NPY.decode(Data(bytes), file: "fuzz.npy")
            _ = try? Safetensors.decode(Data(bytes), file: "fuzz.safetensors")
        }
    }

    func testNPZFailuresNameTheArchiveAndTheMember() throws {
        var npz = NPZ()
        npz["sequences"] = NDArray(float32: [1, 2, 3])
        npz["labels"] = NDArray(int64: [0, 1, 2])
        let good = directory.appendingPathComponent("good.npz")
        try npz.write(to: good)
        let bytes = try Data(contentsOf: good)

        // Truncated archive: the zip directory is gone.
        let cut = directory.appendingPathComponent("cut.npz")
        try bytes.prefix(bytes.count / 2).write(to: cut)
        let e1 = error { try NPZ.read(contentsOf: cut) }
        XCTAssertEqual(e1?.file, cut.path)

        // Not a zip at all.
        let text = directory.appendingPathComponent("text.npz")
        try Data("hello".utf8).write(to: text)
        XCTAssertEqual(error { try NPZ.read(contentsOf: text) }?.file, text.path)

        // A member that is not an .npy file.
        let mixed = directory.appendingPathComponent("mixed.npz")
        let archive = try Archive(url: mixed, accessMode: .create)
        let note = Data("not an array".utf8)
        try archive.addEntry(with: "README.txt", type: .file, uncompressedSize: Int64(note.count)) { p, s in
            note.subdata(in: Int(p)..<(Int(p) + s))
        }
        let e3 = error { try NPZ.read(contentsOf: mixed) }
        XCTAssertEqual(e3?.kind, .notAnArray)
        XCTAssertEqual(e3?.member, "README.txt")

        // A member whose .npy bytes are damaged is named.
        let damaged = directory.appendingPathComponent("damaged.npz")
        let a2 = try Archive(url: damaged, accessMode: .create)
        let badNPY = NPY.encode(NDArray(float32: [1, 2, 3])).dropLast(2)
        try a2.addEntry(with: "masks.npy", type: .file, uncompressedSize: Int64(badNPY.count)) { p, s in
            Data(badNPY).subdata(in: Int(p)..<(Int(p) + s))
        }
        let e4 = error { try NPZ.read(contentsOf: damaged) }
        XCTAssertEqual(e4?.member, "masks.npy")
        XCTAssertTrue(e4?.description.contains("damaged.npz [masks.npy]") ?? false, e4?.description ?? "")

        // Corrupted compressed payload (CRC mismatch) in a deflated archive.
        let deflated = directory.appendingPathComponent("deflated.npz")
        npz["big"] = NDArray(float32: (0..<2000).map { Float($0 % 17) })
        try npz.write(to: deflated, compressed: true)
        var raw = try Data(contentsOf: deflated)
        raw[200] ^= 0xFF
        try raw.write(to: deflated)
        XCTAssertNotNil(error { try NPZ.read(contentsOf: deflated) })

        let missing = error { try NPZ.read(contentsOf: good).array("nope") }
        XCTAssertEqual(missing?.kind, .missingArray)
        XCTAssertEqual(missing?.member, "nope")
        XCTAssertEqual(error { try NPZ.read(contentsOf: self.directory.appendingPathComponent("absent.npz")) }?.file,
                       directory.appendingPathComponent("absent.npz").path)
    }

    func testSafetensorsRejectsLyingHeaders() throws {
        func file(_ header: String, payload: Int) -> Data {
            var d = Data()
            withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { d.append(contentsOf: $0) }
            d.append(contentsOf: Array(header.utf8))
            d.append(Data(count: payload))
            return d
        }
        let cases: [(String, Int)] = [
            (#"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, 4),          // truncated
            (#"{"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#, 8),          // size ≠ shape
            (#"{"w": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}"#, 8),          // dtype
            (#"{"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}, "b": {"dtype": "U8", "shape": [4], "data_offsets": [2, 6]}}"#, 6), // overlap
            (#"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, 8),          // trailing bytes
            (#"{"w": [1, 2]}"#, 0),
            (#"not json"#, 0),
        ]
        for (header, payload) in cases {
            XCTAssertNotNil(error { try Safetensors.decode(file(header, payload: payload), file: "w.safetensors") }, header)
        }
        var lengthTooBig = Data(count: 16)
        lengthTooBig[0] = 0xFF; lengthTooBig[7] = 0x7F
        XCTAssertNotNil(error { try Safetensors.decode(lengthTooBig, file: "w.safetensors") })
    }

    func testFailedWritesLeaveTheDestinationUntouched() throws {
        let target = directory.appendingPathComponent("weights.safetensors")
        try Safetensors(tensors: [("w", NDArray(float32: [1]))]).write(to: target)
        let before = try Data(contentsOf: target)
        // Strings cannot be stored in safetensors: the write fails before touching the file.
        XCTAssertNotNil(error { try Safetensors(tensors: [("names", NDArray(strings: ["a"]))]).write(to: target) })
        XCTAssertEqual(try Data(contentsOf: target), before)
        // A failing body leaves no temporary files behind.
        struct Boom: Error {}
        XCTAssertThrowsError(try OutputFile.write(to: target) { temp in
            try Data("partial".utf8).write(to: temp)
            throw Boom()
        })
        XCTAssertEqual(try Data(contentsOf: target), before)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["weights.safetensors"])
        // A destination whose parent is a file cannot be written, with an error naming it.
        let blocked = target.appendingPathComponent("inside.npy")
        XCTAssertEqual(error { try NPY.write(Tensor(zeros: [1]), to: blocked) }?.file, blocked.path)
    }
}
