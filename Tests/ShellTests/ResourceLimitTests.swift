import Foundation
import TestSupport
import XCTest

/// The machine's limits, met by the real binary under `ulimit`: a dataset larger than the memory
/// the process may use is refused before anything is loaded, with the size it needs; a write
/// past the file-size limit (a full disk, as `ulimit -f` makes one) names the file, and the
/// previous version of every output stays byte for byte, with no temporary file left behind.
final class ResourceLimitTests: XCTestCase {
    /// Runs aslsh through bash with `limits` (e.g. `ulimit -d 400000`) applied first.
    func aslsh(_ arguments: [String], limits: String = "", in directory: URL) throws -> AslshBinary.Result {
        guard let binary = AslshBinary.url else { throw XCTSkip(AslshBinary.missingMessage) }
        let outcome = try ExternalTool.launch(URL(fileURLWithPath: "/bin/bash"),
                                              ["-c", "\(limits)\nexec \"$0\" \"$@\"", binary.path] + arguments,
                                              directory: directory)
        return AslshBinary.Result(status: outcome.status, stdout: outcome.stdout, stderr: outcome.stderr)
    }

    func hiddenTemporaryFiles(in folder: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasPrefix(".") && $0.hasSuffix(".tmp") }
    }

    /// A deflated `.npz` whose `sequences` hold 640 MB of float32 zeros (a 0.6 MB file), trained
    /// on with a 400 MB data-size limit: refused at once, naming the file, the size and the limit.
    func testDatasetLargerThanMemoryIsRefusedBeforeLoading() throws {
        let root = try TestEnvironment.temporaryDirectory("aslsh-memory-limit")
        defer { try? FileManager.default.removeItem(at: root) }
        let big = root.appendingPathComponent("big.npz")
        // Written in chunks by Python's zipfile (no numpy, no 640 MB buffer anywhere).
        try ExternalTool.python("""
            import struct, sys, zipfile
            def npy(descr, shape):
                header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
                header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\\n"
                return b"\\x93NUMPY\\x01\\x00" + struct.pack("<H", len(header)) + header.encode()
            n = 2_540_000
            with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
                with z.open("sequences.npy", "w", force_zip64=True) as f:
                    f.write(npy("<f4", "(%d, 1, 63)" % n))
                    chunk = bytes(1 << 24)
                    left = n * 63 * 4
                    while left > 0:
                        f.write(chunk[:min(left, len(chunk))]); left -= len(chunk)
                z.writestr("labels.npy", npy("<i8", "(2,)") + bytes(16))
            """, [big.path])
        let size = try FileManager.default.attributesOfItem(atPath: big.path)[.size] as? Int ?? 0
        XCTAssertLessThan(size, 4 << 20, "the test file itself stays small")
        let started = Date()
        let result = try aslsh(["train", "big.npz", "--epochs", "1", "--out", "ck"], limits: "ulimit -d 400000", in: root)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("big.npz: too large to load: needs about 1.8 GiB of memory, only "), result.stderr)
        XCTAssertTrue(result.stderr.contains("(ulimit -d)"), result.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 10, "refused up front, not after inflating")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("ck").path))
    }

    /// `build` run again with a 40 KiB file-size limit: its `.npz` files no longer fit. The error
    /// names the file and the limit (not a silent SIGXFSZ death), the earlier dataset is untouched
    /// and no temporary file remains.
    func testWritingPastTheFileSizeLimitKeepsThePreviousVersion() throws {
        let root = try TestEnvironment.temporaryDirectory("aslsh-file-size-limit")
        defer { try? FileManager.default.removeItem(at: root) }
        let first = try aslsh(["-c", "synth --classes A B C D E --per-class 150 --seed 1 --out s; "
                               + "build s/synth_manifest.json --static --out ds --seed 1"], in: root)
        XCTAssertEqual(first.status, 0, first.stderr)
        let ds = root.appendingPathComponent("ds")
        let names = try FileManager.default.contentsOfDirectory(atPath: ds.path).sorted()
        XCTAssertTrue(names.contains("train.npz"), "\(names)")
        var before: [String: Data] = [:]
        for name in names { before[name] = try Data(contentsOf: ds.appendingPathComponent(name)) }
        XCTAssertGreaterThan(before["train.npz"]?.count ?? 0, 40 * 1024, "train.npz must exceed the limit for the test to mean anything")

        let second = try aslsh(["build", "s/synth_manifest.json", "--static", "--out", "ds", "--seed", "2"],
                               limits: "ulimit -f 40", in: root)
        XCTAssertNotEqual(second.status, 0)
        XCTAssertNotEqual(second.status, 128 + SIGXFSZ, "killed by SIGXFSZ instead of reporting")
        XCTAssertTrue(second.stderr.contains(".npz"), second.stderr)
        XCTAssertTrue(second.stderr.contains("file-size limit (ulimit -f)"), second.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: ds.path).sorted(), names)
        for name in names {
            XCTAssertEqual(try Data(contentsOf: ds.appendingPathComponent(name)), before[name], "\(name) changed")
        }
        XCTAssertEqual(hiddenTemporaryFiles(in: ds), [])
    }
}
