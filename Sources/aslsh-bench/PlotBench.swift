import Foundation
import Plot

/// `aslsh-bench plot [--runs N] [--gallery DIR]`: render+encode time (median after warm-up) of a
/// 30×30 confusion matrix and a training-curve chart; `--gallery` also writes one PNG of every
/// chart type to DIR for a visual check.
func runPlotBench(arguments: [String]) throws {
    var runs = 15
    var gallery: String?
    var i = 0
    while i < arguments.count {
        switch arguments[i] {
        case "--runs": i += 1; runs = Int(arguments[i]) ?? runs
        case "--gallery": i += 1; gallery = arguments[i]
        default: throw PlotError.badInput("unknown option \(arguments[i]) (use --runs N, --gallery DIR)")
        }
        i += 1
    }
    let samples = PlotSamples()
    if let gallery {
        let dir = URL(fileURLWithPath: gallery)
        for (name, render) in samples.all {
            let url = dir.appendingPathComponent("\(name).png")
            try render().writePNG(to: url)
            print(url.path)
        }
        return
    }
    /// `body` returns the PNG size in bytes (0 when it only renders).
    func time(_ label: String, _ body: () throws -> Int) rethrows {
        var bytes = 0
        for _ in 0..<2 { bytes = try body() } // warm-up (font cache, page faults)
        var ms: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            bytes = try body()
            ms.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        ms.sort()
        print(String(format: "%-38@ median %8.2f ms  (min %.2f, max %.2f, %d runs, PNG %d bytes)",
                     label as NSString, ms[ms.count / 2], ms[0], ms[ms.count - 1], runs, bytes))
    }
    let cm = try samples.confusion30(), curves = try samples.curves()
    try time("confusion 30x30 render+encode") { try samples.confusion30().pngData().count }
    try time("  render only (1200x1100)") { _ = try samples.confusion30(); return 0 }
    try time("  encode only") { try cm.pngData().count }
    try time("training curves render+encode") { try samples.curves().pngData().count }
    try time("  render only (1200x500, 100 epochs)") { _ = try samples.curves(); return 0 }
    try time("  encode only") { try curves.pngData().count }
}
