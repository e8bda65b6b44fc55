import Foundation

/// PyTorch figures for the Transformer, which the shared peers (`../shared/peers`, mlp/lstm/tcn only)
/// do not know: the repository's own `scripts/transformer-peer.py` — make_goldens.py's `Transformer`
/// at ModelConfig's defaults, run by Debian's torch 1.13 with OpenBLAS at 1 thread — prints one JSON
/// line per run (`train`: samples/s, samples/CPU-s, peak RSS; `latency`: batch-1 µs).
enum TransformerPeer {
    /// Relative to the working directory: aslsh-bench is run from the repository root.
    static let defaultScript = "scripts/transformer-peer.py"
    /// Debian's python3-torch lives in the system python, not in a pyenv one.
    static let defaultPython = "/usr/bin/python3"

    /// `python script mode arguments…`; the script's progress (stderr) goes to ours, its last stdout
    /// line is the result. nil, after one line saying why, when the script or python is missing or fails.
    /// `echo`: print the command first (off where the caller names it itself, e.g. inside a table).
    static func run(_ mode: String, _ arguments: [String], script: String, python: String, echo: Bool = true) -> [String: Any]? {
        guard FileManager.default.fileExists(atPath: script) else {
            print("peer: \(script) not found; no PyTorch transformer figures (run from the repository root or use --transformer-peer)")
            return nil
        }
        guard FileManager.default.isExecutableFile(atPath: python) else {
            print("peer: \(python) not found; no PyTorch transformer figures (use --peer-python)")
            return nil
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, mode] + arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        if echo {
            print("peer: \(python) \(process.arguments!.joined(separator: " "))")
            fflush(Foundation.stdout)   // our line before the script's stderr progress
        }
        guard (try? process.run()) != nil else {
            print("peer: could not start \(python)")
            return nil
        }
        // Read to the end before waiting, so a full pipe cannot block the script.
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let line = String(decoding: output, as: UTF8.self).split(separator: "\n").last,
              let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            print("peer: \(script) \(mode) exited \(process.terminationStatus) without a result; no PyTorch figures")
            return nil
        }
        return json
    }

    /// `train`: the same table figures as the shared peer gives for mlp/lstm/tcn (median over the
    /// epochs after the first), and the parameter count to check the two models are the same size.
    static func train(epochs: Int, script: String, python: String) -> (figures: PeerFigures, parameters: Int)? {
        guard let r = run("train", ["--epochs", String(epochs)], script: script, python: python),
              let sps = r["samples_per_s"] as? Double, let cpu = r["samples_per_cpu_s"] as? Double,
              let parameters = r["params"] as? Int else { return nil }
        // peak RSS is null where /proc/self/clear_refs cannot be written
        return (PeerFigures(sps: sps, cpuSps: cpu, rss: r["train_peak_rss_mib"] as? Double ?? .nan), parameters)
    }

    /// `latency`: batch-1 eager forward (no_grad, 1 thread) median and p99 in µs over `runs` runs.
    static func latency(runs: Int, script: String, python: String) -> (median: Double, p99: Double, torch: String)? {
        guard let r = run("latency", ["--runs", String(runs)], script: script, python: python, echo: false),
              let median = r["median_us"] as? Double, let p99 = r["p99_us"] as? Double else { return nil }
        return (median, p99, r["torch"] as? String ?? "?")
    }
}
