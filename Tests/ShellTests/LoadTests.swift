import XCTest
import TensorCore
import TestSupport
@testable import Shell

final class LoadTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try TestEnvironment.temporaryDirectory("aslsh-load")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func write(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func testCSVBecomesATableWithTypedCells() throws {
        let path = try write("m.csv", "label,signer,score,note\nbook,1,0.5,\n\"hello, you\",2,1e-1,\"say \"\"hi\"\"\"\n")
        let shell = ShellHarness()
        _ = try shell.output("m = load \(path)")
        guard case .table(let table)? = shell.session.variables["m"] else { return XCTFail() }
        XCTAssertEqual(table.columns, ["label", "signer", "score", "note"])
        XCTAssertEqual(table.rows.map { $0.map(\.inlineText) }, [
            ["\"book\"", "1", "0.5", "null"],
            ["\"hello, you\"", "2", "0.1", "\"say \\\"hi\\\"\""],
        ])
    }

    func testCSVErrorsNameTheLine() throws {
        XCTAssertThrowsError(try CSV.parse("a,b\n1,2\n3\n", file: "x.csv")) { error in
            XCTAssertEqual("\(error)", "x.csv:3: 1 fields, but the header has 2")
        }
        XCTAssertThrowsError(try CSV.parse("a\n\"open\n", file: "y.csv")) { error in
            XCTAssertEqual("\(error)", "y.csv:2: unterminated quoted field")
        }
        let path = try write("bad.csv", "a,b\n1\n")
        let error = ShellHarness().error("load \(path)")
        XCTAssertEqual(error?.message, "load: \(path):2: 1 fields, but the header has 2")
    }

    func testJSONArrayOfRecordsBecomesATableInKeyOrder() throws {
        let path = try write("m.json", #"[{"url": "u1", "label": "book", "start": 1.5, "ok": true}, {"label": "hi", "url": "u2", "extra": {"a": [1, null]}}]"#)
        let shell = ShellHarness()
        _ = try shell.output("m = load \(path)")
        guard case .table(let table)? = shell.session.variables["m"] else { return XCTFail() }
        XCTAssertEqual(table.columns, ["url", "label", "start", "ok", "extra"], "columns in first-seen key order")
        XCTAssertEqual(table.rows[1].map(\.inlineText), ["\"u2\"", "\"hi\"", "null", "null", "{a: [1, null]}"])
        XCTAssertEqual(try shell.output("m[1].extra.a[0]"), "1")
        let other = try write("o.json", #"{"b": "\u00e9\ud83d\ude00", "a": [1, 2.0]}"#)
        XCTAssertEqual(try shell.output("load \(other)"), "b  é😀\na  [1, 2]")
    }

    /// JSON lines (train's metrics log): a table of the objects; a bad line named by number.
    func testJSONLinesBecomeATableAndABadLineIsNamed() throws {
        let path = try write("metrics.jsonl", "{\"epoch\": 1, \"loss\": 2.5}\n\n{\"epoch\": 2, \"loss\": 1.25}\r\n")
        let shell = ShellHarness()
        _ = try shell.output("log = load \(path)")
        guard case .table(let table)? = shell.session.variables["log"] else { return XCTFail("not a table") }
        XCTAssertEqual(table.columns, ["epoch", "loss"])
        XCTAssertEqual(try shell.output("log[1].loss"), "1.25")
        XCTAssertEqual(try shell.output("log | where epoch > 1 | count"), "1")
        let bad = try write("bad.jsonl", "{\"epoch\": 1}\n{\"epoch\": }\n")
        XCTAssertEqual(ShellHarness().error("load \(bad)")?.message, "load: \(bad):2: invalid value (byte 10 of the line)")
    }

    func testJSONErrorsGiveTheByteOffset() throws {
        XCTAssertThrowsError(try JSONReader.parse(Data(#"{"a": [1, 2}"#.utf8), file: "z.json")) { error in
            XCTAssertEqual("\(error)", "z.json: byte 11: expected ',' or ']'")
        }
        XCTAssertThrowsError(try JSONReader.parse(Data("[1] x".utf8), file: "z.json")) { error in
            XCTAssertEqual("\(error)", "z.json: byte 4: unexpected text after the JSON value")
        }
    }

    /// Arrays written by NumPy itself load with their dtype, shape and values.
    func testNPYAndNPZFromNumPy() throws {
        guard ExternalTool.pythonHas("numpy") else { throw XCTSkip("numpy is not installed (make setup installs it)") }
        let npy = directory.appendingPathComponent("a.npy").path
        let npz = directory.appendingPathComponent("d.npz").path
        try ExternalTool.python("""
        import numpy as np, sys
        np.save(sys.argv[1], np.arange(6, dtype=np.float32).reshape(2, 3) / 4)
        np.savez(sys.argv[2], labels=np.array([3, 1], dtype=np.int64), names=np.array(["a", "bb"]))
        """, [npy, npz])
        let shell = ShellHarness()
        XCTAssertEqual(try shell.output("a = load \(npy)"), "")
        XCTAssertEqual(try shell.output("a"), "array float32 [2, 3]\n  [0, 0.25, 0.5]\n  [0.75, 1, 1.25]")
        XCTAssertEqual(try shell.output("a.shape"), "[2, 3]")
        XCTAssertEqual(try shell.output("a[1]"), "array float32 [3]\n  [0.75, 1, 1.25]")
        XCTAssertEqual(try shell.output("d = load \(npz)"), "")
        XCTAssertEqual(try shell.output("d"), "labels  array int64 [2]\nnames   array <U2 [2]")
        XCTAssertEqual(try shell.output("d.names"), "array <U2 [2]\n  [\"a\", \"bb\"]")
        XCTAssertEqual(try shell.output("d.labels.dtype"), "int64")
    }
}
