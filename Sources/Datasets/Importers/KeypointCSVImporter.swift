import TensorCore
import Foundation

/// hand-gesture-recognition-mediapipe (Kazuhito00) keypoint files: `keypoint.csv` rows of
/// `class index, x0, y0, …, x20, y20` — 2-D, relative to the wrist, divided by the row's max
/// |value| — and `keypoint_classifier_label.csv`, one class name per line (UTF-8 BOM tolerated).
///
/// Each row becomes a one-frame clip (T = 1, mask 1). The source has no depth, so z is stored as
/// 0 and the record says `"has_z": false`. The max-abs scale is uniform in x and y, so
/// re-normalising with `LandmarkNormalizer` (2-D wrist→MCP distance) gives exactly what
/// normalising the original image coordinates in 2-D would have given.
public enum KeypointCSVImporter {
    public static let format = "hand-gesture-recognition-mediapipe keypoint CSV"
    /// Columns per row: the class index, then 21 × (x, y).
    public static let columns = 1 + 2 * LandmarkClip.landmarksPerFrame

    /// Imports `keypoints` (+ the optional `labels` file naming each class index; without it the
    /// class is the index as text) into `outputDirectory` (`landmarks/` + the manifest).
    @discardableResult
    public static func run(keypoints: URL, labels: URL?, to outputDirectory: URL,
                           manifestName: String = "manifest.json", signer: String? = nil) throws -> ImportSummary {
        let names = try labels.map(readLabelNames)
        var writer = ImportWriter(outputDirectory: outputDirectory, manifestName: manifestName, format: format)
        let rows = try CSVText.read(keypoints)
        guard !rows.isEmpty else { throw DatasetError.badInput(file: keypoints.path, problem: "no keypoint rows") }
        for row in rows {
            func fail(_ problem: String) -> DatasetError { .badInputLine(file: keypoints.path, line: row.line, problem: problem) }
            guard row.fields.count == columns else {
                throw fail("\(row.fields.count) columns, expected \(columns) (class index + 21 × x,y)")
            }
            guard let index = Int(row.fields[0].trimmingCharacters(in: .whitespaces)), index >= 0 else {
                throw fail("class index '\(row.fields[0])' is not a non-negative integer")
            }
            var values = [Float](repeating: 0, count: LandmarkClip.valuesPerFrame)
            for j in 0..<LandmarkClip.landmarksPerFrame {
                for c in 0..<2 {
                    let text = row.fields[1 + 2 * j + c].trimmingCharacters(in: .whitespaces)
                    guard let v = Float(text), v.isFinite else {
                        throw fail("column \(2 + 2 * j + c) ('\(text)', landmark \(j) \(c == 0 ? "x" : "y")) is not a finite number")
                    }
                    values[3 * j + c] = v
                }
            }
            let label: String
            if let names {
                guard index < names.count else {
                    throw fail("class index \(index) has no name: \(labels!.path) lists \(names.count) classes")
                }
                label = names[index]
            } else {
                label = String(index)
            }
            try writer.add(LandmarkClip(values: values, mask: [true]),
                           clipID: "keypoint_\(String(format: "%05d", row.line))", label: label, labelIndex: index,
                           sourceFile: "\(keypoints.lastPathComponent):\(row.line)", signer: signer, hasZ: false,
                           metadata: ["csv_line": .int(row.line),
                                      "source_normalisation": .string("wrist_relative_max_abs_2d")])
        }
        if let names {
            let used = Set(writer.records.compactMap(\.labelIndex))
            let empty = names.indices.filter { !used.contains($0) }
            if !empty.isEmpty {
                writer.summary.warnings.append("classes with no rows (absent from the manifest): "
                                               + empty.map { "\($0) '\(names[$0])'" }.joined(separator: ", "))
            }
        }
        return try writer.finish().summary
    }

    /// One class name per line (first CSV field), BOM and CRLF tolerated, blank lines at the end
    /// ignored. Line n names class n − 1, so a blank line between names (which would shift every
    /// later class) and a name given twice (two classes merged under one label) are errors.
    static func readLabelNames(_ url: URL) throws -> [String] {
        let rows = try CSVText.read(url)
        var names = [String]()
        var firstLine: [String: Int] = [:]
        for row in rows {
            let name = row.fields[0].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { throw DatasetError.badInputLine(file: url.path, line: row.line, problem: "empty class name") }
            if row.line != names.count + 1 {
                throw DatasetError.badInputLine(file: url.path, line: row.line - 1,
                                                problem: "blank line inside the class list (line n names class n − 1)")
            }
            if let earlier = firstLine[name] {
                throw DatasetError.badInputLine(file: url.path, line: row.line, problem: "class name '\(name)' is already on line \(earlier)")
            }
            firstLine[name] = row.line
            names.append(name)
        }
        guard !names.isEmpty else { throw DatasetError.badInput(file: url.path, problem: "no class names") }
        return names
    }
}
