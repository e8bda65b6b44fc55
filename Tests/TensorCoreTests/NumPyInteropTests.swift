import XCTest
import TestSupport
@testable import TensorCore

/// Interop both ways against real NumPy (and the `safetensors` package): files NumPy writes load
/// here with identical values, and files written here load in NumPy with identical values.
/// Values are compared by bit pattern, including NaN, ±Inf, −0 and subnormals.
final class NumPyInteropTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        guard ExternalTool.pythonHas("numpy") else {
            throw XCTSkip("python3 with numpy is required (make setup installs it)")
        }
        directory = try TestEnvironment.temporaryDirectory("npy-interop")
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    /// The float values both sides generate: a ramp plus the IEEE special cases.
    static let specialFloats: [Float] = [0, -0.0, 1, -1.5, .infinity, -.infinity, .nan,
                                         Float.leastNonzeroMagnitude, Float.greatestFiniteMagnitude, 3.1415927]
    static let pythonPrelude = """
    import numpy as np, sys, os
    special = np.array([0, -0.0, 1, -1.5, np.inf, -np.inf, np.nan, np.float32(1e-45), np.finfo(np.float32).max, 3.1415927], dtype=np.float32)
    ramp = (np.arange(24, dtype=np.float64).reshape(2, 3, 4) * 0.25 - 2.0)
    d = sys.argv[1]
    """

    func testNumPyWrittenFilesLoad() throws {
        try ExternalTool.python(Self.pythonPrelude + """

        np.save(os.path.join(d, 'f32.npy'), special)
        np.save(os.path.join(d, 'f64.npy'), ramp)
        np.save(os.path.join(d, 'i64.npy'), np.array([[-(2**62), -1, 0], [1, 2**40, 2**62]], dtype=np.int64))
        np.save(os.path.join(d, 'i32.npy'), np.array([-2**31, -7, 0, 2**31 - 1], dtype=np.int32))
        np.save(os.path.join(d, 'u8.npy'), np.arange(256, dtype=np.uint8).reshape(16, 16))
        np.save(os.path.join(d, 'b.npy'), np.array([True, False, True]))
        np.save(os.path.join(d, 'u.npy'), np.array(['A', 'nothing', 'i love you', 'Ünïcødé ✋']))
        np.save(os.path.join(d, 'scalar.npy'), np.float32(2.5))
        np.save(os.path.join(d, 'empty.npy'), np.zeros((0, 21, 3), dtype=np.float32))
        np.save(os.path.join(d, 'fortran.npy'), np.asfortranarray(ramp.astype(np.float32)))
        np.save(os.path.join(d, 'bigendian.npy'), ramp.astype('>f4'))
        with open(os.path.join(d, 'v2.npy'), 'wb') as f:
            np.lib.format.write_array(f, ramp.astype(np.float32), version=(2, 0))
        np.savez(os.path.join(d, 'stored.npz'), sequences=ramp.astype(np.float32), labels=np.array([3, 1], dtype=np.int64), label_names=np.array(['hello', 'book']))
        np.savez_compressed(os.path.join(d, 'deflated.npz'), sequences=ramp.astype(np.float32), masks=np.ones((2, 3), dtype=bool))
        """, [directory.path])

        let url = { (name: String) in self.directory.appendingPathComponent(name) }
        let f32 = try NPY.read(contentsOf: url("f32.npy"))
        XCTAssertEqual(f32.shape, [10])
        guard case .float32(let values) = f32.storage else { return XCTFail("dtype \(f32.dtypeName)") }
        XCTAssertEqual(values.map(\.bitPattern), Self.specialFloats.map(\.bitPattern))

        let ramp = (0..<24).map { Double($0) * 0.25 - 2 }
        XCTAssertEqual(try NPY.read(contentsOf: url("f64.npy")), NDArray(shape: [2, 3, 4], storage: .float64(ramp)))
        XCTAssertEqual(try NPY.read(contentsOf: url("i64.npy")),
                       NDArray(shape: [2, 3], storage: .int64([-(1 << 62), -1, 0, 1, 1 << 40, 1 << 62])))
        XCTAssertEqual(try NPY.read(contentsOf: url("i32.npy")).storage, .int32([Int32.min, -7, 0, Int32.max]))
        XCTAssertEqual(try NPY.read(contentsOf: url("u8.npy")), NDArray(shape: [16, 16], storage: .uint8((0...255).map(UInt8.init))))
        XCTAssertEqual(try NPY.read(contentsOf: url("b.npy")).storage, .bool([true, false, true]))
        XCTAssertEqual(try NPY.read(contentsOf: url("u.npy")).strings(), ["A", "nothing", "i love you", "Ünïcødé ✋"])
        XCTAssertEqual(try NPY.read(contentsOf: url("scalar.npy")), NDArray(shape: [], storage: .float32([2.5])))
        XCTAssertEqual(try NPY.read(contentsOf: url("empty.npy")).shape, [0, 21, 3])
        let rampF = NDArray(shape: [2, 3, 4], storage: .float32(ramp.map(Float.init)))
        XCTAssertEqual(try NPY.read(contentsOf: url("fortran.npy")), rampF, "Fortran order converted to C order")
        XCTAssertEqual(try NPY.read(contentsOf: url("bigendian.npy")), rampF, "big-endian converted")
        XCTAssertEqual(try NPY.read(contentsOf: url("v2.npy")), rampF, "format version 2.0")

        let stored = try NPZ.read(contentsOf: url("stored.npz"))
        XCTAssertEqual(stored.names, ["sequences", "labels", "label_names"])
        XCTAssertEqual(try stored.array("sequences"), rampF)
        XCTAssertEqual(try stored.array("labels").integers(), [3, 1])
        XCTAssertEqual(try stored.array("label_names").strings(), ["hello", "book"])
        let deflated = try NPZ.read(contentsOf: url("deflated.npz"))
        XCTAssertEqual(try deflated.tensor("sequences"), rampF.tensor())
        XCTAssertEqual(try deflated.array("masks"), NDArray(shape: [2, 3], storage: .bool(Array(repeating: true, count: 6))))
    }

    func testFilesWrittenHereLoadInNumPy() throws {
        let ramp = (0..<24).map { Double($0) * 0.25 - 2 }
        let url = { (name: String) in self.directory.appendingPathComponent(name) }
        try NPY.write(NDArray(float32: Self.specialFloats), to: url("f32.npy"))
        try NPY.write(NDArray(shape: [2, 3, 4], storage: .float64(ramp)), to: url("f64.npy"))
        try NPY.write(NDArray(shape: [2, 3], storage: .int64([-(1 << 62), -1, 0, 1, 1 << 40, 1 << 62])), to: url("i64.npy"))
        try NPY.write(NDArray(shape: [4], storage: .int32([Int32.min, -7, 0, Int32.max])), to: url("i32.npy"))
        try NPY.write(NDArray(shape: [16, 16], storage: .uint8((0...255).map(UInt8.init))), to: url("u8.npy"))
        try NPY.write(NDArray(bool: [true, false, true]), to: url("b.npy"))
        try NPY.write(NDArray(strings: ["A", "nothing", "i love you", "Ünïcødé ✋"]), to: url("u.npy"))
        try NPY.write(NDArray(shape: [], storage: .float32([2.5])), to: url("scalar.npy"))
        try NPY.write(Tensor(zeros: [0, 21, 3]), to: url("empty.npy"))
        var npz = NPZ()
        npz["sequences"] = NDArray(shape: [2, 3, 4], storage: .float32(ramp.map(Float.init)))
        npz["labels"] = NDArray(int64: [3, 1])
        npz["label_names"] = NDArray(strings: ["hello", "book"])
        try npz.write(to: url("stored.npz"))
        try npz.write(to: url("deflated.npz"), compressed: true)

        let report = try ExternalTool.python(Self.pythonPrelude + """

        def same(a, b):
            assert a.dtype == b.dtype, (a.dtype, b.dtype)
            assert a.shape == b.shape, (a.shape, b.shape)
            if a.dtype.kind == 'f':
                assert a.tobytes() == b.tobytes(), (a, b)
            else:
                assert (a == b).all(), (a, b)
        L = lambda n: np.load(os.path.join(d, n))
        same(L('f32.npy'), special)
        same(L('f64.npy'), ramp)
        same(L('i64.npy'), np.array([[-(2**62), -1, 0], [1, 2**40, 2**62]], dtype=np.int64))
        same(L('i32.npy'), np.array([-2**31, -7, 0, 2**31 - 1], dtype=np.int32))
        same(L('u8.npy'), np.arange(256, dtype=np.uint8).reshape(16, 16))
        same(L('b.npy'), np.array([True, False, True]))
        u = L('u.npy'); assert u.dtype.kind == 'U' and list(u) == ['A', 'nothing', 'i love you', 'Ünïcødé ✋'], u
        same(L('scalar.npy'), np.array(np.float32(2.5)))
        same(L('empty.npy'), np.zeros((0, 21, 3), dtype=np.float32))
        with open(os.path.join(d, 'f32.npy'), 'rb') as f:
            assert np.lib.format.read_magic(f) == (1, 0)
        for name in ['stored.npz', 'deflated.npz']:
            z = np.load(os.path.join(d, name))
            assert z.files == ['sequences', 'labels', 'label_names'], z.files
            same(z['sequences'], ramp.astype(np.float32))
            same(z['labels'], np.array([3, 1], dtype=np.int64))
            assert list(z['label_names']) == ['hello', 'book']
        import zipfile
        assert zipfile.ZipFile(os.path.join(d, 'deflated.npz')).infolist()[0].compress_type == zipfile.ZIP_DEFLATED
        assert zipfile.ZipFile(os.path.join(d, 'stored.npz')).infolist()[0].compress_type == zipfile.ZIP_STORED
        print('numpy-ok')
        """, [directory.path])
        XCTAssertEqual(report.trimmingCharacters(in: .whitespacesAndNewlines), "numpy-ok")
    }

    func testNPZWritesAreDeterministic() throws {
        var npz = NPZ()
        npz["x"] = NDArray(float32: [1, 2, 3])
        let a = directory.appendingPathComponent("a.npz"), b = directory.appendingPathComponent("b.npz")
        try npz.write(to: a, compressed: true)
        try npz.write(to: b, compressed: true)
        XCTAssertEqual(try Data(contentsOf: a), try Data(contentsOf: b))
    }

    func testSafetensorsInteropWithTheReferencePackage() throws {
        guard ExternalTool.pythonHas("safetensors") else {
            throw XCTSkip("the safetensors Python package is required (make setup installs it)")
        }
        let ours = directory.appendingPathComponent("ours.safetensors")
        let weights = NDArray(shape: [2, 3], storage: .float32([0.5, -1, 2, .infinity, -0.0, 3]))
        try Safetensors(tensors: [("linear.weight", weights), ("step", NDArray(int64: [10])),
                                  ("mask", NDArray(bool: [true, false]))],
                        metadata: ["architecture": "mlp", "json": "{\"a\": 1}"]).write(to: ours)
        let theirs = directory.appendingPathComponent("theirs.safetensors")
        let out = try ExternalTool.python("""
        import sys, numpy as np
        from safetensors.numpy import load_file, save_file
        from safetensors import safe_open
        t = load_file(sys.argv[1])
        assert t['linear.weight'].dtype == np.float32 and t['linear.weight'].tobytes() == np.array([[0.5, -1, 2], [np.inf, -0.0, 3]], dtype=np.float32).tobytes()
        assert t['step'].dtype == np.int64 and t['step'].tolist() == [10]
        assert t['mask'].dtype == np.bool_ and t['mask'].tolist() == [True, False]
        with safe_open(sys.argv[1], 'np') as f:
            assert f.metadata() == {'architecture': 'mlp', 'json': '{"a": 1}'}, f.metadata()
        save_file({'b': np.arange(6, dtype=np.float64).reshape(3, 2), 'a': np.array([1, 2], dtype=np.int32),
                   'u': np.array([7], dtype=np.uint8)}, sys.argv[2], metadata={'k': 'v'})
        print('ok')
        """, [ours.path, theirs.path])
        XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), "ok")
        let loaded = try Safetensors.read(contentsOf: theirs)
        XCTAssertEqual(loaded.metadata, ["k": "v"])
        XCTAssertEqual(loaded["b"], NDArray(shape: [3, 2], storage: .float64([0, 1, 2, 3, 4, 5])))
        XCTAssertEqual(loaded["a"], NDArray(shape: [2], storage: .int32([1, 2])))
        XCTAssertEqual(loaded["u"], NDArray(uint8: [7]))
    }
}
