import XCTest
@testable import Plot
import TestSupport

final class ChartTests: XCTestCase {
    let samples = PlotSamples()

    func testTrainingCurvesDrawBothSeriesInBothPanels() throws {
        let c = try roundTrip(try samples.curves(), name: "curves")
        XCTAssertEqual(c.width, 1200); XCTAssertEqual(c.height, 500)
        let t = Typography(width: 1200, height: 500)
        let band = Rect(x: 0, y: 0, width: 1200, height: t.pad * 2 + Canvas.lineHeight(size: t.title.size))
        XCTAssertGreaterThan(inkCount(c, band), 300, "title text present")
        let left = Rect(x: 0, y: band.maxY, width: 600, height: 500 - band.maxY)
        let right = Rect(x: 600, y: band.maxY, width: 600, height: 500 - band.maxY)
        for panel in [left, right] {
            XCTAssertGreaterThan(colorCount(c, panel, TrainingCurves.trainColor, tolerance: 10), 300)
            XCTAssertGreaterThan(colorCount(c, panel, TrainingCurves.valColor, tolerance: 10), 200)
        }
    }

    func testCurvesWithoutValidationHaveNoValidationColour() throws {
        let h = try TrainingHistory(trainLoss: [2, 1.2, 0.8, 0.5], trainAcc: [0.3, 0.6, 0.75, 0.9])
        let c = try TrainingCurves.render(h)
        XCTAssertEqual(colorCount(c, fullRect(c), TrainingCurves.valColor, tolerance: 10), 0)
        XCTAssertGreaterThan(colorCount(c, fullRect(c), TrainingCurves.trainColor, tolerance: 10), 100)
    }

    func testMetricsLogParsesAndReportsBadLines() throws {
        let log = """
        {"epoch": 1, "train_loss": 2.5, "train_acc": 0.2, "val_loss": 2.6, "val_acc": 0.18, "lr": 0.001}

        {"epoch": 2, "train_loss": 1.5, "train_acc": 0.5, "val_loss": 1.7, "val_acc": 0.45}
        {"epoch": 3, "train_loss": 1.0, "train_acc": 0.7}
        """
        let h = try TrainingHistory.parseMetricsLog(log, file: "m.jsonl")
        XCTAssertEqual(h.epochs.count, 3)
        XCTAssertEqual(h.epochs[1], EpochMetrics(epoch: 2, trainLoss: 1.5, trainAcc: 0.5, valLoss: 1.7, valAcc: 0.45))
        XCTAssertNil(h.epochs[2].valAcc)
        XCTAssertEqual(h.bestValidation?.epoch, 2)
        XCTAssertThrowsError(try TrainingHistory.parseMetricsLog("{\"epoch\": 1, \"train_loss\": 1, \"train_acc\": 0.5}\n{\"epoch\": 2, \"train_acc\": 0.5}", file: "m.jsonl")) {
            XCTAssertEqual($0 as? PlotError, .metricsLog(file: "m.jsonl", line: 2, message: "missing key \"train_loss\""))
        }
        XCTAssertThrowsError(try TrainingHistory.parseMetricsLog("{\"epoch\": 1, \"train_loss\": \"x\", \"train_acc\": 0.5}", file: "m.jsonl")) {
            guard case .metricsLog(_, 1, let m)? = $0 as? PlotError else { return XCTFail("\($0)") }
            XCTAssertTrue(m.contains("train_loss"), m)
        }
        let dir = try TestEnvironment.temporaryDirectory("plot-metrics")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("metrics.jsonl")
        try log.write(to: url, atomically: true, encoding: .utf8)
        XCTAssertEqual(try TrainingHistory.readMetricsLog(url), h)
    }

    func testConfusionCellsHaveTheColourOfTheirValue() throws {
        let counts = [[50, 0, 3], [5, 20, 25], [0, 0, 1]]
        let chart = try ConfusionHeatmap(counts: counts, labels: ["A", "B", "C"],
                                         options: ConfusionOptions(chart: ChartOptions(width: 600, height: 560, title: "cm")))
        let (canvas, layout) = try chart.renderWithLayout()
        let c = try roundTrip(canvas, name: "cm")
        for i in 0..<3 { for j in 0..<3 {
            let r = layout.cell(i, j)
            // A cell corner: inside the cell, away from its centred value text.
            let p = c[Int(r.minX) + 3, Int(r.minY) + 3]
            XCTAssertColor(p, chart.color(for: Double(counts[i][j])), tolerance: 1, "cell (\(i), \(j))")
        } }
        XCTAssertColor(chart.color(for: 50), ColorMap.blues.color(1), tolerance: 0)
        // The darkest cell's count is written in white, a light cell's in black.
        let dark = layout.cell(0, 0), light = layout.cell(1, 0)
        XCTAssertGreaterThan(colorCount(c, dark.insetBy(dark.width * 0.25, dark.height * 0.3), .white, tolerance: 30), 10)
        XCTAssertGreaterThan(colorCount(c, light.insetBy(light.width * 0.2, light.height * 0.2), .black, tolerance: 90), 4)
        // Zero cells carry no text: uniform colour across the centre.
        let zero = layout.cell(0, 1)
        XCTAssertEqual(inkCount(c, zero.insetBy(4, 4), background: chart.color(for: 0), tolerance: 2), 0)
        // Colour bar: top is the maximum's colour, bottom the minimum's.
        let bar = layout.colorBar
        XCTAssertColor(c[Int(bar.midX), Int(bar.minY) + 1], ColorMap.blues.color(1), tolerance: 4)
        XCTAssertColor(c[Int(bar.midX), Int(bar.maxY) - 2], ColorMap.blues.color(0), tolerance: 4)
    }

    func testRowNormalisedRates() throws {
        let chart = try ConfusionHeatmap(counts: [[3, 1], [0, 0]], options: ConfusionOptions(normalize: true, colormap: .viridis))
        XCTAssertEqual(chart.displayed, [[0.75, 0.25], [0, 0]])
        let (c, layout) = try chart.renderWithLayout()
        let r = layout.cell(0, 1)
        XCTAssertColor(c[Int(r.minX) + 2, Int(r.minY) + 2], ColorMap.viridis.color(0.25), tolerance: 1)
        XCTAssertEqual(chart.valueText(0.25), "0.25")
    }

    func testThirtyClassConfusionHasEveryLabel() throws {
        let chart = try ConfusionHeatmap(matrix: samples.confusionMatrix(classes: 30), labels: PlotSamples.words,
                                         options: ConfusionOptions(chart: ChartOptions(width: 1200, height: 1100, title: "30")))
        let (canvas, layout) = try chart.renderWithLayout()
        let c = try roundTrip(canvas, name: "cm30")
        XCTAssertGreaterThanOrEqual(layout.cellSize, 20)
        for i in 0..<30 {
            let row = layout.cell(i, 0)
            // Row label: ink left of the matrix on this row's band.
            XCTAssertGreaterThan(inkCount(c, Rect(x: row.minX - 200, y: row.minY + 2, width: 195, height: row.height - 4)), 15, "row \(i)")
            // Column label (rotated): ink below the matrix in this column's band.
            let col = layout.cell(29, i)
            XCTAssertGreaterThan(inkCount(c, Rect(x: col.minX + 2, y: col.maxY + 4, width: col.width - 4, height: 150)), 15, "column \(i)")
        }
    }

    func testConfusionRejectsBadShapes() {
        XCTAssertThrowsError(try ConfusionHeatmap(matrix: [[1, 2], [3]]))
        XCTAssertThrowsError(try ConfusionHeatmap(matrix: [[1]], labels: ["a", "b"]))
        XCTAssertThrowsError(try ConfusionHeatmap(matrix: [[-1]]))
    }

    func testBarHeightsAreProportional() throws {
        let chart = try BarChart([("a", 1), ("b", 2), ("c", 4)], options: BarChartOptions(
            chart: ChartOptions(width: 600, height: 400), yRange: 0...4, showValues: false))
        let c = try roundTrip(try chart.render(), name: "bar")
        let color = Palette.categorical(0)
        // Each run of bar-coloured pixel columns is one bar; its height is the middle column's count.
        var heights: [Int] = []
        var run: [Int] = []
        for x in 0...c.width {
            let column = x < c.width ? (0..<c.height).filter { distance(c[x, $0], color) <= 2 }.count : 0
            if column > 10 { run.append(column) } else if !run.isEmpty { heights.append(run[run.count / 2]); run = [] }
        }
        XCTAssertEqual(heights.count, 3, "\(heights)")
        if heights.count == 3 {
            XCTAssertEqual(Double(heights[1]) / Double(heights[0]), 2, accuracy: 0.05)
            XCTAssertEqual(Double(heights[2]) / Double(heights[0]), 4, accuracy: 0.1)
        }
    }

    func testLongBarLabelsAreRotated() throws {
        let names = (0..<20).map { "a rather long class name \($0)" }
        let chart = try BarChart(names.map { ($0, 1.0) }, options: BarChartOptions(chart: ChartOptions(width: 800, height: 600)))
        let c = try chart.render()
        // Find the x axis (the long dark horizontal line) and measure the label band below it.
        let axisRow = (0..<c.height).last { y in (100..<700).filter { distance(c[$0, y], .axisGrey) < 10 }.count > 500 }!
        let inkRows = (axisRow + 8..<c.height).filter { y in inkCount(c, Rect(x: 0, y: Double(y), width: 800, height: 1)) > 0 }
        XCTAssertGreaterThan(inkRows.count, 80, "rotated labels run down the page")
        XCTAssertThrowsError(try BarChart(categories: ["a"], series: [BarSeries(name: "x", values: [1, 2])]))
    }

    func testClassDistributionCounts() throws {
        let chart = try BarChart.counts(of: ["b", "a", "b", "c", "b", "a"])
        XCTAssertEqual(chart.categories, ["b", "a", "c"])
        XCTAssertEqual(chart.series[0].values, [3, 2, 1])
    }

    /// Bin edges and counts against numpy.histogram(values, bins="auto").
    func testHistogramBinsAgreeWithNumPy() throws {
        guard ExternalTool.pythonHas("numpy") else { throw XCTSkip("numpy is not installed (scripts/setup.sh installs it)") }
        var r = PlotSamples.LCG(state: 42)
        let sets: [[Double]] = [
            (0..<500).map { _ in exp(0.5 + 0.6 * r.normal()) },
            (0..<37).map { _ in Double(Int(r.next() * 60)) },
            [3, 3, 3, 3],
            (0..<2000).map { _ in r.next() < 0.9 ? r.normal() : 8 + r.normal() },
        ]
        let dir = try TestEnvironment.temporaryDirectory("plot-hist")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (k, values) in sets.enumerated() {
            let url = dir.appendingPathComponent("v\(k).txt")
            try values.map { String($0) }.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
            let out = try ExternalTool.python("""
            import sys, numpy as np
            v = np.loadtxt(sys.argv[1], ndmin=1)
            c, e = np.histogram(v, bins="auto")
            print(" ".join(map(str, c))); print(" ".join(repr(float(x)) for x in e))
            """, [url.path])
            let lines = out.split(separator: "\n")
            let counts = lines[0].split(separator: " ").map { Int($0)! }
            let edges = lines[1].split(separator: " ").map { Double($0)! }
            let mine = try HistogramData(values: values)
            XCTAssertEqual(mine.counts, counts, "set \(k)")
            XCTAssertEqual(mine.edges, edges, accuracy: 1e-9 * max(1, edges.map(abs).max()!))
        }
    }

    func testHistogramChartAndExplicitBins() throws {
        let d = try HistogramData(values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], bins: .count(5))
        XCTAssertEqual(d.edges, [0, 2, 4, 6, 8, 10])
        XCTAssertEqual(d.counts, [2, 2, 2, 2, 3]) // last bin closed on the right, as numpy
        XCTAssertEqual(try HistogramData(values: [0, 1, 2.5], bins: .width(1)).counts.count, 3)
        XCTAssertThrowsError(try HistogramData(values: [.nan]))
        let c = try roundTrip(try samples.histDurations(), name: "hist")
        XCTAssertGreaterThan(colorCount(c, fullRect(c), Palette.tableau10[0], tolerance: 2), 20_000)
    }

    /// Same input → byte-identical PNG, for every chart in the gallery.
    func testEveryChartRerendersByteIdentically() throws {
        for (name, render) in samples.all {
            let a = try render().pngData(), b = try render().pngData()
            XCTAssertEqual(a, b, name)
            XCTAssertGreaterThan(a.count, 1000, name)
        }
    }
}
