import XCTest
import Datasets
import TensorCore
import TestSupport
@testable import Training

/// Event files: CRC32C against the standard check value, and TensorBoard's own reader
/// (`EventAccumulator` from the `tensorboard` PyPI package) loading the scalars a run wrote.
final class TensorBoardTests: XCTestCase {
    func testCRC32CKnownVectorsAndMask() {
        // RFC 3720 §B.4 / CRC catalogue check value, and 32 zero bytes (RFC 3720 §B.4: 0x8A9136AA).
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        var rng = SeededRandom(seed: 3)
        let bytes = (0..<1000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        XCTAssertEqual(CRC32C.checksum(bytes), CRC32C.naiveChecksum(bytes))
        let crc = CRC32C.checksum(bytes)
        XCTAssertEqual(CRC32C.masked(bytes), ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8)
        // Framing: 8-byte length, 4-byte masked CRC, data, 4-byte masked CRC.
        let framed = TensorBoardWriter.frame([1, 2, 3])
        XCTAssertEqual(framed.count, 8 + 4 + 3 + 4)
        XCTAssertEqual(Array(framed[0..<8]), [3, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(framed[12..<15]), [1, 2, 3])
    }

    func testTensorBoardReaderLoadsTheRunScalars() throws {
        do { try ExternalTool.requirePython("tensorboard") } catch let e as MissingTool where !MissingTool.mustFail {
            throw XCTSkip(e.description)
        }
        let directory = try TestEnvironment.temporaryDirectory("training-tensorboard")
        defer { try? FileManager.default.removeItem(at: directory) }
        let train = Fixtures.sequences(n: 24, T: 2, classes: 3, seed: 1), validation = Fixtures.sequences(n: 9, T: 2, classes: 3, seed: 2)
        var options = TrainingOptions()
        options.epochs = 3
        options.batchSize = 8
        options.hiddenDim = 16
        options.tensorboard = true
        options.runName = "test-run"
        options.checkpointDirectory = directory
        let run = try Trainer.train(train, validation: validation, options: options)
        let events = try XCTUnwrap(run.eventFile)
        XCTAssertEqual(events.deletingLastPathComponent().path, directory.appendingPathComponent("runs/test-run").path)
        XCTAssertTrue(events.lastPathComponent.hasPrefix("events.out.tfevents."))

        let output = try ExternalTool.python("""
        import sys, json
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
        acc = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0})
        acc.Reload()
        out = {tag: [[e.step, e.value] for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}
        print(json.dumps(out, sort_keys=True))
        """, [events.deletingLastPathComponent().path])
        let scalars = try JSONDecoder().decode([String: [[Double]]].self, from: Data(output.utf8))
        XCTAssertEqual(Set(scalars.keys), ["loss/train", "accuracy/train", "loss/val", "accuracy/val", "top5/val", "lr"])
        func expect(_ tag: String, _ value: (EpochMetrics) -> Double?) {
            let got = scalars[tag] ?? []
            XCTAssertEqual(got.map { Int($0[0]) }, [1, 2, 3], tag)
            for (pair, record) in zip(got, run.history) {
                XCTAssertEqual(Float(pair[1]), Float(value(record)!), "\(tag) epoch \(record.epoch): float32 round trip is exact")
            }
        }
        expect("loss/train") { $0.trainLoss }
        expect("accuracy/train") { $0.trainAcc }
        expect("loss/val") { $0.valLoss }
        expect("accuracy/val") { $0.valAcc }
        expect("top5/val") { $0.valTop5 }
        expect("lr") { $0.learningRate }
    }
}
