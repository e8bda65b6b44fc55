/// Places activation tensors in one arena, reusing space between tensors whose lifetimes do not
/// overlap. Greedy by size, largest first, each at the lowest offset that clashes with no
/// already-placed tensor alive at the same time (the strategy of TFLite's simple arena planner).
enum MemoryPlanner {
    struct Request {
        var size: Int          // floats
        var first: Int         // first step the tensor is written (−1: before the first op)
        var last: Int          // last step it is read
    }

    /// Offsets (in floats, 16-float aligned) and the arena size.
    static func plan(_ requests: [Request]) -> (offsets: [Int], total: Int) {
        let alignment = 16
        func aligned(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }
        var offsets = [Int](repeating: 0, count: requests.count)
        var placed: [Int] = []
        var total = 0
        let order = requests.indices.sorted { (requests[$0].size, $1) > (requests[$1].size, $0) }
        for i in order {
            let r = requests[i], size = aligned(max(r.size, 1))
            let clashes = placed.filter { requests[$0].first <= r.last && r.first <= requests[$0].last }
                .map { (offsets[$0], aligned(max(requests[$0].size, 1))) }
                .sorted { $0.0 < $1.0 }
            var candidate = 0
            for (offset, length) in clashes {
                if candidate + size <= offset { break }
                candidate = max(candidate, offset + length)
            }
            offsets[i] = candidate
            total = max(total, candidate + size)
            placed.append(i)
        }
        return (offsets, total)
    }
}
