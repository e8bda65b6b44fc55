import Foundation
import TestSupport
import XCTest
@testable import TensorCore

/// Found by `make fuzz`: a 518-byte .npz whose zip directory says its stored member "b.npy"
/// holds 2 GB. The reader used to read (and reserve) that much, taking seconds; the claim is now
/// checked against the archive's size first and fails at once, naming the archive and the member.
final class NPZClaimedSizeTests: XCTestCase {
    static let lyingDirectory = Data(base64Encoded:
        "UEsDBBQAAAAAAAAAIQC2jIZTjAAAAIwAAAAFABQAYS5ucHkBABAAjAAAAAAAAACMAAAAAAAAAJNOVU1QWQEAdgB7J2Rlc2NyJzogJzxmNCcsICdmb3J0cmFu"
        + "X29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgzLCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAg"
        + "ICAKAAAAAAAAgD8AAABAUEsDBBQAAAAAAAAAkMm8AABo1iEAAJAAAAAFABQAYi5ucHkBABAAkAAAAAAAAACQAAAAAAAAAJNOVU1QWQEAdgB7J2RlczoncmMg"
        + "JzxpOCcsICdmb3J0cmFrX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgxLCAyKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAg"
        + "ICAgICAgICAgICYgICAgICAKAQAAAAAAAAACAAAAAAAAAFBLAQIUAxQAAAAAAAAAIQC2jIZTjAAAAIwAAAAFAAAAAAAAAAAAAACAAQAAAABhLm5weVBLAQIU"
        + "/e0AAAAAAAAAIQDJvGjWkAAAAJAAAIAFAAAAAAAAAAAAAACAAcMAAABiLm5weVBLBQYAAAAAAgACAGYAAAiKAQAAAAA="
    )!

    func testAMemberClaimingMoreThanTheArchiveFailsAtOnce() throws {
        let directory = try TestEnvironment.temporaryDirectory("npz-claims")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("lying.npz")
        try Self.lyingDirectory.write(to: url)
        let start = Date()
        XCTAssertThrowsError(try NPZ.read(contentsOf: url)) { error in
            guard let e = error as? ArrayFileError, case .corrupt(let why) = e.kind else { return XCTFail("\(error)") }
            XCTAssertEqual(e.file, url.path)
            XCTAssertEqual(e.member, "b.npy")
            XCTAssertTrue(why.contains("2147483792 bytes") && why.contains("518-byte archive"), why)
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.5)
    }

    func testHonestArchivesStillRead() throws {
        let directory = try TestEnvironment.temporaryDirectory("npz-claims")
        defer { try? FileManager.default.removeItem(at: directory) }
        for compressed in [false, true] {
            let url = directory.appendingPathComponent("ok\(compressed).npz")
            // Zeros deflate ~1000:1, near the limit the check allows.
            try NPZ(arrays: [("z", NDArray(float32: [Float](repeating: 0, count: 100_000)))]).write(to: url, compressed: compressed)
            XCTAssertEqual(try NPZ.read(contentsOf: url).arrays.first?.array.count, 100_000)
        }
    }
}
