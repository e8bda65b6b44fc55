import Foundation
import XCTest
@testable import TensorCore

/// The memory budget readers check before loading, and the archive sizes they check it against.
final class MemoryBudgetTests: XCTestCase {
    func testSizesAreWrittenForPeople() {
        XCTAssertEqual(MemoryBudget.describe(100), "100 bytes")
        XCTAssertEqual(MemoryBudget.describe(1536), "1.5 KiB")
        XCTAssertEqual(MemoryBudget.describe(180 << 20), "180 MiB")
        XCTAssertEqual(MemoryBudget.describe(Int(2.5 * Double(1 << 30))), "2.5 GiB")
    }

    /// With no limit set on the process the budget is the system's available memory: positive and
    /// no more than the machine has.
    func testTheBudgetIsTheSystemsAvailableMemoryWithoutProcessLimits() throws {
        let budget = MemoryBudget.current()
        let total = try XCTUnwrap(MemoryBudget.keyedKilobytes(file: "/proc/meminfo")["MemTotal"])
        XCTAssertGreaterThan(budget.available, 0)
        XCTAssertLessThanOrEqual(budget.available, total)
    }

    /// Runs `body` with this process's data-size limit set `extra` bytes above what it uses now.
    func withDataLimit(extra: Int, _ body: () throws -> Void) throws {
        var saved = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_DATA.rawValue), &saved), 0)
        let used = try XCTUnwrap(MemoryBudget.keyedKilobytes(file: "/proc/self/status")["VmData"])
        var limited = saved
        limited.rlim_cur = rlim_t(used + extra)
        XCTAssertEqual(setrlimit(Int32(RLIMIT_DATA.rawValue), &limited), 0)
        defer { _ = setrlimit(Int32(RLIMIT_DATA.rawValue), &saved) }
        let budget = MemoryBudget.current()
        XCTAssertEqual(budget.limit, "the process's data-size limit (ulimit -d)")
        XCTAssertEqual(Double(budget.available), Double(extra), accuracy: Double(64 << 20))
        try body()
    }

    /// Overwrites the 32-bit uncompressed size of the first member in the zip's central directory.
    func recordUncompressedSize(_ size: UInt32, in url: URL) throws {
        var bytes = [UInt8](try Data(contentsOf: url))
        let signature: [UInt8] = [0x50, 0x4B, 0x01, 0x02]   // central directory file header
        let at = try XCTUnwrap((0...(bytes.count - 4)).first { Array(bytes[$0..<$0 + 4]) == signature })
        for k in 0..<4 { bytes[at + 24 + k] = UInt8(truncatingIfNeeded: size >> (8 * UInt32(k))) }
        try Data(bytes).write(to: url)
    }

    /// A deflated archive holding 64 MiB of zeros (64 KiB on disk), read with a 32 MiB budget:
    /// refused from its directory's sizes before anything is inflated, naming the file and the limit.
    func testAnArchiveNeedingMoreThanTheBudgetIsRefusedBeforeInflating() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("budget-\(getpid()).npz")
        defer { try? FileManager.default.removeItem(at: url) }
        let count = 16 << 20
        try NPZ(arrays: [("x", NDArray(Tensor(shape: [count], scalars: [Float](repeating: 0, count: count))))])
            .write(to: url, compressed: true)
        try withDataLimit(extra: 32 << 20) {
            XCTAssertThrowsError(try NPZ.read(contentsOf: url)) { error in
                guard let error = error as? ArrayFileError, case .needsMemory(let needed, let budget) = error.kind else {
                    return XCTFail("expected needsMemory, got \(error)")
                }
                XCTAssertGreaterThanOrEqual(needed, 3 * (64 << 20), "the arrays, plus one member twice while decoded")
                XCTAssertLessThan(budget.available, 96 << 20)
                XCTAssertTrue(error.description.hasPrefix(url.path + ": too large to load: needs about 192 MiB of memory, only "),
                              error.description)
                XCTAssertTrue(error.description.hasSuffix("available (the process's data-size limit (ulimit -d))"), error.description)
            }
        }
        XCTAssertEqual(try NPZ.read(contentsOf: url).arrays.first?.array.shape, [count], "it loads without the limit")
    }

    /// A member that inflates past the size its directory records (a damaged file or a zip bomb)
    /// stops at that size with an error, instead of inflating on.
    func testAMemberInflatingPastItsRecordedSizeIsCorrupt() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bomb-\(getpid()).npz")
        defer { try? FileManager.default.removeItem(at: url) }
        try NPZ(arrays: [("x", NDArray(Tensor(shape: [25_000], scalars: [Float](repeating: 0, count: 25_000))))])
            .write(to: url, compressed: true)
        try recordUncompressedSize(1000, in: url)
        XCTAssertThrowsError(try NPZ.read(contentsOf: url)) { error in
            XCTAssertTrue("\(error)".contains("[x.npy]: not a valid npy (inflates past the 1000 bytes its header records)")
                          || "\(error)".contains("[x.npy]: not a valid npz (inflates past the 1000 bytes its header records)"),
                          "\(error)")
        }
    }
}
