/// PyTorch and ONNX stack an LSTM's four gate blocks in different orders: PyTorch `weight_ih`,
/// `weight_hh`, `bias_*` rows are (i, f, g, o) (torch/nn/modules/rnn.py), ONNX `W`, `R`, `B` are
/// (i, o, f, c) (ONNX Operators.md, LSTM: "W[iofc]"; c is PyTorch's g). Both are `[4H, cols]` row-major.
enum LSTMWeightLayout {
    /// ONNX block j holds PyTorch block `onnxFromTorch[j]`.
    static let onnxFromTorch = [0, 3, 1, 2]

    /// `[4H, cols]` in PyTorch gate order → ONNX gate order.
    static func toONNX(_ torch: [Float], hidden H: Int) -> [Float] {
        permuteBlocks(torch, hidden: H, sourceOfBlock: onnxFromTorch)
    }

    /// `[4H, cols]` in ONNX gate order → PyTorch gate order (the inverse of `toONNX`).
    static func toTorch(_ onnx: [Float], hidden H: Int) -> [Float] {
        var inverse = [Int](repeating: 0, count: 4)
        for (j, source) in onnxFromTorch.enumerated() { inverse[source] = j }
        return permuteBlocks(onnx, hidden: H, sourceOfBlock: inverse)
    }

    /// out block j = in block `sourceOfBlock[j]`; each block is H rows of `count / 4H` columns.
    private static func permuteBlocks(_ x: [Float], hidden H: Int, sourceOfBlock: [Int]) -> [Float] {
        precondition(x.count % (4 * H) == 0, "LSTM gate tensor of \(x.count) values for hidden size \(H)")
        let block = x.count / 4
        var out = [Float](repeating: 0, count: x.count)
        for j in 0..<4 {
            let s = sourceOfBlock[j] * block
            out.replaceSubrange(j * block..<(j + 1) * block, with: x[s..<(s + block)])
        }
        return out
    }
}
