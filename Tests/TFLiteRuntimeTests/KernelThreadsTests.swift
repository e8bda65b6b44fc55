import Foundation
import TensorCore
@testable import TFLiteRuntime
import TestSupport
import XCTest

/// The kernels' thread pool (`parallelTasks` over `ck_parallel`) and the GEMM split over it: every task runs exactly once whatever the
/// thread count, nesting or concurrent callers, and a split GEMM equals the one-thread GEMM bit for bit.
final class KernelThreadsTests: XCTestCase {
    override func tearDown() { KernelPath.force(KernelPath.supported) }

    /// Runs `count` tasks on `threads` threads and returns how often each ran.
    private func counts(_ count: Int, threads: Int) -> [Int] {
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: count)
        hits.initialize(repeating: 0, count: count)
        defer { hits.deallocate() }
        parallelTasks(count, threads: threads) { t in hits[t] += 1 }   // each task owns its slot
        return Array(UnsafeBufferPointer(start: hits, count: count))
    }

    func testEveryTaskRunsOnceForAnyThreadCount() {
        for threads in 1...5 {
            for count in [0, 1, 2, 3, 7, 16, 37, 200] {
                XCTAssertEqual(counts(count, threads: threads), [Int](repeating: 1, count: count), "\(count) tasks, \(threads) threads")
            }
        }
        // Many jobs back to back: workers spin, sleep and wake between them.
        for round in 0..<2000 {
            let count = 1 + round % 29
            XCTAssertEqual(counts(count, threads: 2 + round % 3), [Int](repeating: 1, count: count))
        }
    }

    func testNestedCallsRunOnTheCallingThread() {
        let outer = 6, inner = 5
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: outer * inner)
        hits.initialize(repeating: 0, count: outer * inner)
        defer { hits.deallocate() }
        parallelTasks(outer, threads: 2) { o in
            parallelTasks(inner, threads: 2) { i in hits[o * inner + i] += 1 }
        }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: hits, count: outer * inner)), [Int](repeating: 1, count: outer * inner))
    }

    func testConcurrentCallersEachGetAllTheirTasks() {
        let callers = 3, rounds = 300
        let failures = UnsafeMutablePointer<Int>.allocate(capacity: callers)
        failures.initialize(repeating: 0, count: callers)
        defer { failures.deallocate() }
        DispatchQueue.concurrentPerform(iterations: callers) { caller in
            for round in 0..<rounds {
                let count = 3 + (round + caller) % 11
                if counts(count, threads: 2) != [Int](repeating: 1, count: count) { failures[caller] += 1 }
            }
        }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: failures, count: callers)), [0, 0, 0])
    }

    /// Shapes of MediaPipe's pointwise convolutions (many rows and few columns, and 49 rows by
    /// 1152 columns, which is split by column panels) and odd tails.
    func testSplitGemmEqualsOneThreadBitForBit() {
        let shapes = [(49, 1152, 192), (3136, 24, 144), (196, 80, 480), (500, 40, 17), (7, 100, 33), (1, 7, 5)]
        for path in KernelPath.allCases where KernelPath.force(path) {
            for (m, n, k) in shapes {
                var rng = SeededRandom(seed: UInt64(m * 31 + n))
                let a = Tensor.uniform([m * k], low: -1, high: 1, using: &rng).scalars
                let b = Tensor.uniform([k * n], low: -1, high: 1, using: &rng).scalars
                let bias = Tensor.uniform([n], low: -1, high: 1, using: &rng).scalars
                let packed = PackedMatrix(k: k, n: n, b: b)
                func product(threads: Int) -> [Float] {
                    var c = [Float](repeating: .nan, count: m * n)
                    c.withUnsafeMutableBufferPointer { c in
                        packed.multiply(m: m, a: a, lda: k, c: c.baseAddress!, ldc: n, bias: bias, lower: -0.5, upper: 2, threads: threads)
                    }
                    return c
                }
                let one = product(threads: 1)
                for threads in [2, 3, 4] {
                    let split = product(threads: threads)
                    let differing = zip(one, split).filter { $0.bitPattern != $1.bitPattern }.count
                    XCTAssertEqual(differing, 0, "\(path) \(m)×\(n)×\(k), \(threads) threads")
                }
            }
        }
    }
}
