import TensorCore

/// How samples are dealt into train / val / test (indices 0, 1, 2). All three are pure functions
/// of their inputs and the seed.
enum SplitAssignment {
    /// Stratified: within each class, a seeded shuffle, then ⌊n·val⌉ to val and ⌊n·test⌉ to test
    /// (at least one each when their fraction is positive), the rest to train. With a train
    /// fraction of 0 the rest goes to val (or, when val is 0 too, to test), so `0 0 1` is all test.
    /// A class too small to appear in every non-empty split is an error naming it.
    static func stratified(labels: [Int], classCount: Int, labelNames: [String], fractions: [Double],
                           rng: inout SeededRandom) throws -> [Int] {
        var split = [Int](repeating: 0, count: labels.count)
        let needed = fractions.filter { $0 > 0 }.count
        // The split that takes the remainder: train, else the first non-empty of val/test.
        let rest = fractions[0] > 0 ? 0 : fractions[1] > 0 ? 1 : 2
        var byClass = [[Int]](repeating: [], count: classCount)
        for (i, l) in labels.enumerated() { byClass[l].append(i) }
        for (c, members) in byClass.enumerated() {
            let n = members.count
            guard n >= needed else {
                throw DatasetError.unsplittable("class '\(labelNames[c])' has \(n) sample(s); splits "
                    + fractions.map { String($0) }.joined(separator: "/") + " need at least \(needed) (one per split)")
            }
            var counts = fractions.map { f in f > 0 ? max(1, Int((Double(n) * f).rounded())) : 0 }
            counts[rest] = 0
            // Give back from the larger of the others until the remainder split keeps at least one.
            let others = [1, 2].filter { $0 != rest }
            while n - others.reduce(0, { $0 + counts[$1] }) < 1 {
                let k = others.count == 2 ? (counts[1] >= counts[2] ? 1 : 2) : others[0]
                counts[k] -= 1
            }
            counts[rest] = n - others.reduce(0, { $0 + counts[$1] })
            // Dealt in the order test, val, train (as before: the same seed gives the same splits).
            let order = rng.permutation(n).map { members[$0] }
            for (position, sample) in order.enumerated() {
                split[sample] = position < counts[2] ? 2 : position < counts[2] + counts[1] ? 1 : 0
            }
        }
        return split
    }

    /// Group-disjoint (e.g. signer-disjoint): groups are shuffled with the seed, then dealt
    /// largest first to the split furthest below its target share of samples. Stratification by
    /// label is then only approximate; `DatasetBuilder` checks every class reached every split.
    static func grouped(groups: [String], fractions: [Double], rng: inout SeededRandom) throws -> [Int] {
        var members = [String: [Int]]()
        var order = [String]()
        for (i, g) in groups.enumerated() {
            if members[g] == nil { order.append(g) }
            members[g, default: []].append(i)
        }
        let active = fractions.indices.filter { fractions[$0] > 0 }
        guard order.count >= active.count else {
            throw DatasetError.unsplittable("only \(order.count) group(s) (\(order.joined(separator: ", "))) for "
                + "\(active.count) group-disjoint splits; add data from more signers/sources or set a split fraction to 0")
        }
        let shuffled = rng.permutation(order.count).map { order[$0] }
        let bySize = shuffled.enumerated().sorted { a, b in
            let (sa, sb) = (members[a.element]!.count, members[b.element]!.count)
            return sa != sb ? sa > sb : a.offset < b.offset
        }.map(\.element)
        let total = Double(groups.count)
        var filled = [Int](repeating: 0, count: 3)
        var split = [Int](repeating: 0, count: groups.count)
        for g in bySize {
            // Largest remaining fraction of the target; ties go to the earlier split.
            let s = active.max { a, b in
                let da = 1 - Double(filled[a]) / (fractions[a] * total), db = 1 - Double(filled[b]) / (fractions[b] * total)
                return da != db ? da < db : a > b
            }!
            for i in members[g]! { split[i] = s }
            filled[s] += members[g]!.count
        }
        return split
    }

    /// The records' own `split` field: "train"; "val" / "validation" / "dev"; "test".
    static func splitIndex(of name: String) -> Int? {
        switch name.lowercased() {
        case "train", "training": 0
        case "val", "validation", "dev", "valid": 1
        case "test", "testing": 2
        default: nil
        }
    }
}
