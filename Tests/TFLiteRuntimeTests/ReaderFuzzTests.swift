import Foundation
import TensorCore
import TestSupport
import XCTest
@testable import TFLiteRuntime

/// Seeded fuzzing of the reader and the interpreter's load-time checks: mutated real models and
/// random byte strings must give a model or a `TFLiteError` — never a trap or an out-of-bounds
/// read (a crash fails the whole test run). Failing cases print the seed and case number.
final class ReaderFuzzTests: XCTestCase {
    static let seed: UInt64 = 0x7F1_17E

    func testRandomByteStringsNeverCrash() {
        var rng = SeededRandom(seed: Self.seed)
        var errors = 0
        for _ in 0..<3000 {
            let length = Int(rng.next() % 512)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            // Half the cases get a valid identifier and a small root offset so parsing goes deeper.
            if length >= 8 && rng.next() % 2 == 0 {
                bytes.replaceSubrange(4..<8, with: Array("TFL3".utf8))
                bytes[0] = UInt8(rng.next() % UInt64(min(length, 256))); bytes[1] = 0; bytes[2] = 0; bytes[3] = 0
            }
            do { _ = try TFLiteModel(bytes: bytes) } catch is TFLiteError { errors += 1 } catch {
                XCTFail("seed \(Self.seed): untyped error \(error)")
            }
        }
        XCTAssertGreaterThan(errors, 2900, "random bytes should almost never parse")
    }

    func testMutatedModelsNeverCrash() throws {
        for name in ["hand_landmark_lite", "palm_detection_lite"] {
            guard let url = TestEnvironment.mediapipeModel(name) else { throw XCTSkip("run scripts/setup.sh for \(name)") }
            try fuzz(original: [UInt8](try Data(contentsOf: url)), name: name, cases: 1500)
        }
    }

    /// Mutations aim mostly at the flatbuffer's structure (tables, vtables, vectors, strings), i.e.
    /// bytes outside the large weight buffers, where a mutation changes how the file is walked.
    private func fuzz(original: [UInt8], name: String, cases: Int) throws {
        let model = try TFLiteModel(bytes: original)
        var isData = [Bool](repeating: false, count: original.count)
        for range in model.buffers { for i in range { isData[i] = true } }
        let structure = original.indices.filter { !isData[$0] }
        var rng = SeededRandom(seed: Self.seed ^ UInt64(name.count))
        var bytes = original
        var outcomes = (parsed: 0, loaded: 0, ran: 0, rejected: 0)
        let interesting: [UInt32] = [0, 1, 4, 0x7f, 0x80, 0xff, 0xffff, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff,
                                     UInt32(original.count), UInt32(original.count - 4)]
        for caseNumber in 0..<cases {
            var touched: [Int] = []
            let mutations = 1 + Int(rng.next() % 4)
            for _ in 0..<mutations {
                let at = rng.next() % 5 == 0 ? Int(rng.next() % UInt64(original.count)) : structure[Int(rng.next() % UInt64(structure.count))]
                switch rng.next() % 4 {
                case 0: bytes[at] = UInt8(truncatingIfNeeded: rng.next()); touched.append(at)
                case 1: bytes[at] ^= 1 << UInt8(rng.next() % 8); touched.append(at)
                default:
                    let word = interesting[Int(rng.next() % UInt64(interesting.count))]
                    let base = min(at & ~3, original.count - 4)
                    for k in 0..<4 { bytes[base + k] = UInt8(truncatingIfNeeded: word >> (8 * UInt32(k))); touched.append(base + k) }
                }
            }
            let truncate = rng.next() % 10 == 0 ? Int(rng.next() % UInt64(original.count)) : original.count
            do {
                let mutated = try TFLiteModel(bytes: truncate == original.count ? bytes : Array(bytes[..<truncate]))
                outcomes.parsed += 1
                // Loading resolves every op, shape and buffer again (every 3rd case: it decodes all
                // weights); run some of the ones that load.
                if caseNumber % 3 == 0 {
                    let interpreter = try TFLiteInterpreter(model: mutated)
                    outcomes.loaded += 1
                    if caseNumber % 15 == 0 && interpreter.arenaFloats < 8_000_000 {
                        interpreter.run()
                        outcomes.ran += 1
                    }
                }
            } catch is TFLiteError {
                outcomes.rejected += 1
            } catch {
                XCTFail("seed \(Self.seed) \(name) case \(caseNumber): untyped error \(error)")
            }
            for i in touched { bytes[i] = original[i] }
        }
        print("fuzz \(name): \(cases) cases, \(outcomes)")
        XCTAssertEqual(bytes, original)
        XCTAssertGreaterThan(outcomes.rejected, cases / 10, "mutations should often be rejected")
        XCTAssertGreaterThan(outcomes.loaded, 0, "some mutations (e.g. in names) should still load")
    }
}
