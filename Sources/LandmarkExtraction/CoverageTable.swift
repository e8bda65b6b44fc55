import Datasets
import Foundation
import Hands

/// Per class, what became of each photo of `prepare-alphabet`: a hand found by MediaPipe's own
/// pass, one found by recovery (and by which attempt), none, or an image too small to try.
/// Printed at the end of the run; fist-like letters (O, Q, M) fail far more often than the rest.
struct CoverageTable {
    enum Outcome: Equatable {
        case detected, recovered(HandRecoveryOptions.Attempt), missing, tooSmall
    }

    /// A kept record's outcome (a `--resume` run counts what the first run wrote).
    static func outcome(_ record: LandmarkRecord) -> Outcome {
        guard case .string(let name)? = record.metadata[LandmarkRecord.recoveredKey] else { return .detected }
        return HandRecoveryOptions.Attempt(rawValue: name).map(Outcome.recovered) ?? .detected
    }

    let recovering: Bool
    private var rows: [String: [Int]] = [:]   // label → detected, recovered, missing, too small
    private var attempts: [HandRecoveryOptions.Attempt: Int] = [:]

    init(recovering: Bool) { self.recovering = recovering }

    mutating func count(_ label: String, _ outcome: Outcome) {
        var row = rows[label] ?? [0, 0, 0, 0]
        switch outcome {
        case .detected: row[0] += 1
        case .recovered(let attempt): row[1] += 1; attempts[attempt, default: 0] += 1
        case .missing: row[2] += 1
        case .tooSmall: row[3] += 1
        }
        rows[label] = row
    }

    /// The summary's lines: the detection rate per class, and with recovery the four columns,
    /// a total and how many each attempt recovered.
    func lines() -> [String] {
        func percent(_ k: Int, _ n: Int) -> String { "\(Int((100 * Double(k) / Double(max(n, 1))).rounded()))%" }
        let labels = rows.keys.sorted()
        guard recovering else {
            return ["hand detected per class:"] + labels.map { label in
                let row = rows[label]!, n = row.reduce(0, +)
                return "  \(label): \(row[0])/\(n) (\(percent(row[0], n)))"
            }
        }
        var lines = ["hands per class (MediaPipe / recovered / missing / too small → coverage):"]
        var total = [0, 0, 0, 0]
        for label in labels {
            let row = rows[label]!, n = row.reduce(0, +)
            for i in 0..<4 { total[i] += row[i] }
            lines.append("  \(label): \(row[0]) / \(row[1]) / \(row[2]) / \(row[3]) → \(percent(row[0] + row[1], n))")
        }
        let n = total.reduce(0, +)
        lines.append("  all: \(total[0]) / \(total[1]) / \(total[2]) / \(total[3]) → \(percent(total[0] + total[1], n)) "
                     + "(MediaPipe alone \(percent(total[0], n)))")
        if !attempts.isEmpty {
            lines.append("recovered by: " + HandRecoveryOptions.Attempt.allCases.compactMap { a in
                attempts[a].map { "\(a.rawValue) \($0)" }
            }.joined(separator: ", "))
        }
        return lines
    }
}
