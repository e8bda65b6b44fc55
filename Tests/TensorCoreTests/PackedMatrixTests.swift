import TensorCore
import TestSupport
import XCTest

/// The packed GEMM (CKernels) against the naive triple loop, and its two builds against each other.
final class PackedMatrixTests: XCTestCase {
    override func tearDown() { KernelPath.force(KernelPath.supported) }

    /// (m, n, k): row blocks of 3 (portable) and 6 (AVX) with every tail, 16-column panels with
    /// every tail, k = 1, one row, a wide B of 72 panels (the landmark model's 7×7 layers), and a
    /// deep k whose rows of A fill L2 quickly, so that A is walked in several row chunks, the last
    /// one partial (k 2000: 30 rows a chunk with a 1 MB L2, 6 with 256 KB).
    static let shapes = [(1, 1, 1), (7, 17, 5), (13, 33, 64), (6, 16, 8), (5, 15, 3), (64, 40, 24), (1, 63, 200), (20, 1152, 160),
                         (70, 40, 2000)]

    private func run(_ m: Int, _ n: Int, _ k: Int, transposed: Bool, accumulate: Bool, seed: UInt64) -> (fast: [Float], reference: [Float]) {
        var rng = SeededRandom(seed: seed)
        let lda = k + 3, ldc = n + 2   // leading dimensions wider than the rows
        let a = Tensor.uniform([m * lda], low: -1, high: 1, using: &rng).scalars
        let b = Tensor.uniform([k * n], low: -1, high: 1, using: &rng).scalars   // [k, n], or [n, k] when transposed
        let bias = Tensor.uniform([n], low: -1, high: 1, using: &rng).scalars
        let c0 = Tensor.uniform([m * ldc], low: -1, high: 1, using: &rng).scalars
        let (lower, upper): (Float, Float) = accumulate ? (-.infinity, .infinity) : (-0.5, 2)
        var fast = c0
        let packed = PackedMatrix(k: k, n: n, b: b, transposed: transposed)
        fast.withUnsafeMutableBufferPointer { c in
            packed.multiply(m: m, a: a, lda: lda, c: c.baseAddress!, ldc: ldc, bias: accumulate ? nil : bias,
                            lower: lower, upper: upper, accumulate: accumulate)
        }
        var reference = c0
        for i in 0..<m {
            for j in 0..<n {
                var sum = accumulate ? Double(c0[i * ldc + j]) : 0
                for p in 0..<k { sum += Double(a[i * lda + p]) * Double(transposed ? b[j * k + p] : b[p * n + j]) }
                if !accumulate { sum = min(max(sum + Double(bias[j]), Double(lower)), Double(upper)) }
                reference[i * ldc + j] = Float(sum)
            }
        }
        return (fast, reference)
    }

    func testMatchesNaiveReferenceWithEpilogueAndAccumulation() {
        for path in KernelPath.allCases where KernelPath.force(path) {
            for (index, (m, n, k)) in Self.shapes.enumerated() {
                for (transposed, accumulate) in [(false, false), (true, false), (false, true)] {
                    let (fast, reference) = run(m, n, k, transposed: transposed, accumulate: accumulate, seed: UInt64(index))
                    // Float sums of k products in [-1, 1]: error grows like √k·ε; 2e-6·k bounds it loosely.
                    let worst = zip(fast, reference).map { abs($0 - $1) }.max()!
                    XCTAssertLessThanOrEqual(worst, 2e-6 * Float(max(k, 1)) + 1e-6,
                                             "\(path) m \(m) n \(n) k \(k) transposed \(transposed) accumulate \(accumulate)")
                    // Columns beyond n (ldc padding) are never written.
                    XCTAssertEqual(fast.count, reference.count)
                }
            }
        }
    }

    func testEveryKernelPathGivesTheSameBits() throws {
        let paths = KernelPath.allCases.filter { $0.rawValue <= KernelPath.supported.rawValue }
        guard paths.count > 1 else {
            throw XCTSkip("this CPU has no AVX (\(KernelPath.cpuFeatures)): there is one kernel path only")
        }
        // Shapes with every kind of row block (1…6) and panel tail, odd and even panel counts.
        for (index, (m, n, k)) in (Self.shapes + [(13, 80, 31), (6, 33, 64), (256, 256, 256)]).enumerated() {
            for (transposed, accumulate) in [(false, false), (true, false), (false, true)] {
                var results: [(KernelPath, [Float])] = []
                for path in paths {
                    XCTAssertTrue(KernelPath.force(path))
                    results.append((path, run(m, n, k, transposed: transposed, accumulate: accumulate, seed: UInt64(index)).fast))
                }
                for (path, values) in results.dropFirst() {
                    XCTAssertEqual(results[0].1.map(\.bitPattern), values.map(\.bitPattern), "\(path) against portable: m \(m) n \(n) k \(k)")
                }
            }
        }
    }

    func testKernelPathReportsAndRefusesWhatTheCPUCannotRun() {
        XCTAssertTrue(KernelPath.force(.portable), "the portable path runs everywhere")
        XCTAssertEqual(KernelPath.active, .portable)
        XCTAssertEqual(KernelPath.force(.avx), KernelPath.supported.hasAVX)
        XCTAssertEqual(KernelPath.force(.avx512), KernelPath.supported == .avx512)
        XCTAssertTrue(KernelPath.cpuFeatures.hasPrefix("sse2"), KernelPath.cpuFeatures)
        XCTAssertEqual(KernelPath.cpuFeatures.contains(" avx"), KernelPath.supported.hasAVX)
        if KernelPath.supported == .avx512 { XCTAssertTrue(KernelPath.cpuFeatures.contains(" avx512f"), KernelPath.cpuFeatures) }
        XCTAssertFalse(ComputeEnvironment.blasCore.isEmpty)
    }
}
