import Foundation
import Datasets
import TensorCore

/// `aslsh-bench datasets [REALDATA_DIR]`: importers, `build` and the loader on the real files in
/// ../shared/realdata (or ASLSH_SHARED/realdata), median of 5 runs after one warm-up, and the same
/// frame-folder import done by NumPy (`np.load` per frame, pick the hand, normalise, `np.save`)
/// in the same run as the peer figure.
func runDatasetsBench(_ arguments: [String]) throws {
    let shared = ProcessInfo.processInfo.environment["ASLSH_SHARED"].map { $0 + "/realdata" } ?? "../shared/realdata"
    let realdata = URL(fileURLWithPath: arguments.first ?? shared)
    let frames = realdata.appendingPathComponent("hand_sequences_npy/MP_Data_New_Trained")
    let keypoints = realdata.appendingPathComponent("hand_keypoints_csv")
    guard FileManager.default.fileExists(atPath: frames.path) else {
        print("datasets bench: \(frames.path) not found; pass the realdata folder")
        return
    }
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("aslsh-bench-datasets-\(getpid())")
    defer { try? FileManager.default.removeItem(at: work) }

    var frameImport = Double.nan
    func median(_ label: String, runs: Int = 5, _ body: () throws -> Void) rethrows {
        try body() // warm-up
        var times = [Double]()
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        if label.hasPrefix("import frame folders") { frameImport = times.sorted()[runs / 2] }
        print(String(format: "%-58@ median %8.1f ms  (min %.1f, max %.1f)", label as NSString,
                     times.sorted()[runs / 2], times.min()!, times.max()!))
    }

    let imported = work.appendingPathComponent("frames")
    try median("import frame folders (147 clips, 4410 frame .npy)") {
        try FrameSequenceImporter.run(root: frames, to: imported)
    }
    try median("import keypoint CSV (624 rows → 624 clips)") {
        try KeypointCSVImporter.run(keypoints: keypoints.appendingPathComponent("keypoint.csv"),
                                    labels: keypoints.appendingPathComponent("keypoint_classifier_label.csv"),
                                    to: work.appendingPathComponent("keypoints"))
    }
    var options = BuildOptions(manifest: imported.appendingPathComponent("manifest.json"))
    options.datasetDirectory = work.appendingPathComponent("ds")
    try median("build 147 × [30,21,3] → train/val/test .npz") { try DatasetBuilder.build(options) }
    try median("Dataset(contentsOf:) train.npz (105 samples)") { _ = try Dataset(contentsOf: options.outputURLs[0]) }

    // Peer: the same frame-folder import in NumPy.
    let peer = """
    import os, sys, time, numpy as np
    root, out = sys.argv[1], sys.argv[2]
    def run():
        os.makedirs(out, exist_ok=True)
        for sign in sorted(os.listdir(root)):
            for seq in sorted(os.listdir(os.path.join(root, sign)), key=int):
                d = os.path.join(root, sign, seq)
                raw = np.stack([np.load(os.path.join(d, f)) for f in sorted(os.listdir(d), key=lambda f: int(f[:-4]))])
                l, r = raw[:, :63], raw[:, 63:]
                lp, rp = (l != 0).any(1), (r != 0).any(1)
                pts, present = (l, lp) if lp.sum() > rp.sum() else (r, rp)
                pts = pts.reshape(-1, 21, 3).astype(np.float32)
                pts = np.where(present[:, None, None], pts - pts[:, :1], 0)
                scale = np.linalg.norm(pts[:, 9], axis=1)
                pts[present] /= scale[present, None, None]
                name = sign.replace(" ", "_") + "_" + seq
                np.save(os.path.join(out, name + ".npy"), pts)
                np.save(os.path.join(out, name + ".mask.npy"), present.astype(np.uint8))
    run()
    ts = []
    for _ in range(5):
        t = time.perf_counter(); run(); ts.append((time.perf_counter() - t) * 1000)
    print("%.1f" % sorted(ts)[2])
    """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", peer, frames.path, work.appendingPathComponent("peer").path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    if process.terminationStatus == 0 {
        print(String(format: "%-58@ median %8@ ms", "peer: NumPy frame-folder import (same work)" as NSString,
                     output.trimmingCharacters(in: .whitespacesAndNewlines) as NSString))
        BenchSummary.record("datasets", "import 147 real frame-folder clips", ours: frameImport, unit: "ms",
                            peer: Double(output.trimmingCharacters(in: .whitespacesAndNewlines)).map { ("NumPy", $0) },
                            lowerIsBetter: true)
    } else {
        print("peer: python3 with numpy unavailable (exit \(process.terminationStatus))")
    }
}
