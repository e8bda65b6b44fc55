import Foundation
import Hands
import Media
import Plot
import TensorCore

/// `plot KIND SOURCE --out PATH`: every value with a natural picture becomes a PNG. The written
/// path is printed (and recorded by transcripts), so a replayed session regenerates the files.
public enum PlotCommands {
    public static var all: [CommandDefinition] { [plot] }

    static let kinds = ["hand", "sequence", "trajectory", "overlay", "curves", "confusion", "bar", "hist"]

    static let plot = CommandDefinition(
        "plot", summary: "draw a value to a PNG: hand sequence trajectory overlay curves confusion bar hist",
        discussion: """
        hand|sequence|trajectory SOURCE   landmarks: a .npy [T,21,3] / [21,3] file or an array value (--frame N);
                                          of a both-hands file ([T,42,3], [T,49,3]) the hand --side says
        overlay IMAGE                     run the hand tracker on a photo and draw skeletons and ROIs on it
        curves LOG                        training curves from a metrics log (JSON lines)
        confusion SOURCE                  a [C,C] count matrix (.npy or array), --labels a b c, --normalize
        bar TABLE --column NAME           class distribution (counts of each value of the column)
        hist TABLE|ARRAY [--column NAME]  histogram of numbers
        example: plot hand data/synth/letters/landmarks/synth_A_0000.npy --out plots/A.png
        example: plot confusion r --normalize --out plots/cm.png --labels A B C
        """,
        arguments: [ArgumentSpec("kind", .choice(kinds), "what to draw"),
                    ArgumentSpec("source", .any, "the value or file to draw", optional: true)],
        flags: [FlagSpec("out", short: "o", .path, "PNG to write", default: .path("plots/plot.png")),
                FlagSpec("width", .int, "image width in pixels", validate: FlagSpec.positive),
                FlagSpec("height", .int, "image height in pixels", validate: FlagSpec.positive),
                FlagSpec("title", .string, "chart title"),
                FlagSpec("frame", .int, "hand: which frame", default: .int(0), validate: FlagSpec.nonNegative),
                FlagSpec("side", .choice(["left", "right"]), "both-hands landmarks: which hand to draw (default: the one seen in more frames)"),
                FlagSpec("column", .word, "bar/hist: the table column"),
                FlagSpec("labels", .string, "confusion: class names (default: the eval result's)", values: .oneOrMore),
                FlagSpec("normalize", .bool, "confusion: row-normalised rates instead of counts"),
                FlagSpec("hands", .int, "overlay: hands the tracker looks for", default: .int(2), aliases: ["max-hands"],
                         validate: FlagSpec.positive),
                FlagSpec("model-complexity", .choice(["full", "lite"]), "overlay: MediaPipe model complexity", default: .string("full")),
                LandmarkCommands.modelsFlag] + LandmarkCommands.recoveryFlags,
        input: .any
    ) { call in
        let kind = call.string("kind")!
        let source = call["source"] ?? call.input
        let out = call.url("out")!
        func chart(_ w: Int, _ h: Int) -> ChartOptions {
            ChartOptions(width: call.int("width") ?? w, height: call.int("height") ?? h, title: call.string("title"))
        }
        let canvas: Canvas
        do {
            switch kind {
            case "hand", "sequence", "trajectory":
                let (frames, mask) = try landmarks(source, call)
                switch kind {
                case "hand":
                    let t = call.int("frame")!
                    guard t < frames.count else { throw call.failure("--frame \(t): the landmarks have \(frames.count) frames") }
                    guard frames[t].contains(where: { $0.contains { $0 != 0 } }) else {
                        throw call.failure("--frame \(t) has no hand (all zeros: not detected)")
                    }
                    canvas = try HandPlot.render(landmarks: frames[t], options: HandPlotOptions(chart: chart(640, 640)))
                case "sequence":
                    canvas = try HandPlot.sequence(frames: frames, mask: mask, options: SequencePlotOptions(chart: chart(1200, 800)))
                default:
                    canvas = try HandPlot.trajectories(frames: frames, mask: mask, options: TrajectoryOptions(chart: chart(800, 800)))
                }
            case "overlay":
                guard let url = source.flatMap(pathURL) else { throw call.failure("overlay needs an image path") }
                let image = url.pathExtension.lowercased() == "png" ? try PNG.read(url) : try JPEG.read(url)
                var options = HandTrackerOptions(maxHands: call.int("hands")!, staticImageMode: true)
                options.complexity = call.string("model-complexity") == "lite" ? .lite : .full
                options.recovery = LandmarkCommands.recoveryOptions(call)
                let tracker = try HandTracker(options: options, modelDirectory: call.url("models"))
                let result = try tracker.process(image)
                let rgb = image.channels == 3 ? image.pixels : stride(from: 0, to: image.pixels.count, by: 4).flatMap { image.pixels[$0..<($0 + 3)] }
                canvas = try HandPlot.overlay(
                    image: OverlayImage(width: image.width, height: image.height, pixels: rgb),
                    hands: result.hands.map { $0.landmarks.map { [Float($0.x), Float($0.y), Float($0.z)] } },
                    rois: (result.hands.map(\.roi) + result.rejectedROIs).map {
                        RotatedRect(centerX: $0.xCenter, centerY: $0.yCenter, width: $0.width, height: $0.height, rotation: $0.rotation)
                    },
                    options: OverlayOptions(title: call.string("title")))
                let recovered = result.hands.compactMap(\.recovery).first.map { ", recovered by \($0.rawValue)" } ?? ""
                call.session.print("hands found: \(result.hands.count)" + recovered
                                   + (result.rejectedROIs.isEmpty ? "" : ", rejected ROIs: \(result.rejectedROIs.count)"))
            case "curves":
                guard let url = source.flatMap(pathURL) else { throw call.failure("curves needs a metrics log path") }
                canvas = try TrainingCurves.render(TrainingHistory.readMetricsLog(url), options: CurvesOptions(chart: chart(1200, 500)))
            case "confusion":
                // An `eval` result carries its matrix (a .npy path) and class names.
                let matrix = try array(source?.field("confusion") ?? source, call)
                guard matrix.rank == 2, matrix.shape[0] == matrix.shape[1] else {
                    throw call.failure("confusion needs a square [C,C] matrix, got \(matrix.shape)")
                }
                let c = matrix.shape[0]
                let rows = (0..<c).map { i in (0..<c).map { Double(matrix.scalars[i * c + $0]) } }
                let labels = call["labels"] != nil ? call.list("labels").compactMap(\.textValue)
                    : source?.field("labels")?.textValue.map { $0.split(separator: " ").map(String.init) }
                if let labels, labels.count != c { throw call.failure("--labels has \(labels.count) names for \(c) classes") }
                canvas = try ConfusionHeatmap(matrix: rows, labels: labels,
                                              options: ConfusionOptions(chart: chart(1000, 900), normalize: call.bool("normalize"))).render()
            case "bar":
                guard let table = source?.tableValue, let column = call.string("column") else {
                    throw call.failure("bar needs a table and --column", hint: "plot bar m --column label")
                }
                guard let values = table.column(named: column) else { throw call.failure("no column '\(column)' (columns: \(table.columns.joined(separator: ", ")))") }
                var counts: [(String, Double)] = []
                for v in values.map({ ValueFormatter.inline($0) }) {
                    if let i = counts.firstIndex(where: { $0.0 == v }) { counts[i].1 += 1 } else { counts.append((v, 1)) }
                }
                counts.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
                canvas = try BarChart(counts, name: "count",
                                      options: BarChartOptions(chart: chart(1000, 600), xLabel: column, yLabel: "count")).render()
            default: // hist
                let numbers: [Double]
                if let table = source?.tableValue, let column = call.string("column") {
                    guard let values = table.column(named: column) else { throw call.failure("no column '\(column)'") }
                    numbers = values.compactMap(\.numberValue)
                } else {
                    numbers = try array(source, call).scalars.map(Double.init)
                }
                guard !numbers.isEmpty else { throw call.failure("nothing numeric to histogram") }
                canvas = try Histogram(values: numbers, options: HistogramOptions(chart: chart(900, 600), xLabel: call.string("column"))).render()
            }
            try canvas.writePNG(to: out)
        } catch let error as ShellError {
            throw error
        } catch {
            throw call.failure("\(error)")
        }
        call.session.print("wrote \(call.string("out")!)")
        return .path(call.string("out")!)
    }

    static func pathURL(_ value: Value) -> URL? {
        value.textValue.map { Invocation.resolvePath($0) }
    }

    /// A float tensor from an array value or a `.npy` path.
    static func array(_ value: Value?, _ call: Invocation) throws -> Tensor {
        switch value {
        case .array(let a)?:
            guard let t = a.tensor() else { throw call.failure("expected a numeric array, got \(a.dtypeName)") }
            return t
        case let v? where v.textValue != nil:
            let url = pathURL(v)!
            guard let t = try NPY.read(contentsOf: url).tensor() else { throw call.failure("\(url.path) holds strings") }
            return t
        default:
            throw call.failure("expected an array or a .npy path")
        }
    }

    /// Frames `[T][21][3]` and the mask (from a sibling `.mask.npy` when the source is a file).
    /// Of a file with both hands (or pose points, `FrameLayout`) one hand: `--side`, else the hand
    /// seen in more frames; its mask is the frames where that hand is.
    static func landmarks(_ value: Value?, _ call: Invocation) throws -> ([[[Float]]], [Bool]?) {
        let t = try array(value, call)
        let frames: Int, layout: FrameLayout
        switch t.shape {
        case let s where s.count == 2 && s[1] == 3 && FrameLayout(points: s[0]) != nil: (frames, layout) = (1, FrameLayout(points: s[0])!)
        case let s where s.count == 1 && FrameLayout(values: s[0]) != nil: (frames, layout) = (1, FrameLayout(values: s[0])!)
        case let s where s.count == 3 && s[2] == 3 && FrameLayout(points: s[1]) != nil: (frames, layout) = (s[0], FrameLayout(points: s[1])!)
        case let s where s.count == 2 && s[1] != 3 && FrameLayout(values: s[1]) != nil: (frames, layout) = (s[0], FrameLayout(values: s[1])!)
        default: throw call.failure("landmarks must be [T,21,3], [21,3] or [T,63] (or [T,K,3] with K = 42, 28, 49); got \(t.shape)")
        }
        let V = layout.values
        var hand = layout.hand(0)
        if layout.hands == 2 {
            let seen = (0..<2).map { h in (0..<frames).filter { layout.isSeen(layout.hand(h), frame: $0, in: t.scalars) }.count }
            hand = layout.hand((call.string("side") ?? (seen[0] > seen[1] ? "left" : "right")) == "left" ? 0 : 1)
        }
        let offset = 3 * hand.lowerBound
        let result = (0..<frames).map { f in (0..<21).map { j in Array(t.scalars[(f * V + offset + j * 3)..<(f * V + offset + j * 3 + 3)]) } }
        var mask: [Bool]?
        if let path = value?.textValue, path.hasSuffix(".npy") {
            let maskURL = Invocation.resolvePath(String(path.dropLast(4)) + ".mask.npy")
            if let m = try? NPY.read(contentsOf: maskURL).integers(), m.count == frames { mask = m.map { $0 != 0 } }
        }
        if layout.hands == 2 { mask = (0..<frames).map { f in (mask?[f] ?? true) && layout.isSeen(hand, frame: f, in: t.scalars) } }
        return (result, mask)
    }
}
