import Foundation
import TensorCore
import TestSupport
import XCTest
@testable import Inference

/// `predict` on landmark arrays of the breakage corpus (Tests/Fixtures/breakage/landmarks): an
/// array holding NaN or Inf fails alone, naming the file, frame, landmark and coordinate; the
/// other items of the batch are predicted.
final class BreakagePredictTests: XCTestCase {
    func testNaNAndInfArraysFailAloneNamingTheFrame() throws {
        let predictor = try ASLPredictor(checkpoint: try Fixtures.letters.get().checkpoint)
        func item(_ name: String) throws -> (item: String, landmarks: Tensor, mask: [Bool]?) {
            (name, try XCTUnwrap(try NPY.read(contentsOf: TestEnvironment.breakage("landmarks/\(name)")).tensor()), nil)
        }
        let results = predictor.predictEach([try item("nan_frame2.npy"), try item("good.npy"), try item("inf_frame4.npy")])
        guard case .failure(let nan) = results[0], case .success(let top) = results[1], case .failure(let inf) = results[2] else {
            return XCTFail("\(results)")
        }
        XCTAssertEqual(nan.description, "nan_frame2.npy: non-finite value nan at frame 2, landmark 7, y")
        XCTAssertEqual(inf.description, "inf_frame4.npy: non-finite value inf at frame 4, landmark 20, z")
        XCTAssertEqual(top.count, 3)
    }
}
