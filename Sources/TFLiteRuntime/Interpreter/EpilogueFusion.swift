/// Folds element-wise operators into the output pass of the pointwise convolution before them,
/// at load time: `CONV_2D 1×1 → ADD (no activation) [→ PRELU per channel]`, the residual block of
/// MediaPipe's palm detector (14 times in palm_detection_full). The convolution then writes each
/// block of rows once, adding the residual and applying PReLU while the block is in cache, where
/// the three operators wrote and re-read the whole tensor three times. The arithmetic and its
/// order are unchanged, so the results are bit for bit those of the unfused graph (tested).
///
/// Fused only when nothing else reads the intermediate tensors (no other kernel, no graph output,
/// no alias of them); anything else is left as it is.
enum EpilogueFusion {
    /// Returns the kernels (and their op indices) with fused ones removed.
    static func apply(kernels: [Kernel], steps: [Int], graphOutputs: [Int], root: (Int) -> Int) -> (kernels: [Kernel], steps: [Int]) {
        var readers: [Int: Int] = [:]   // root tensor → kernels reading it (+1 per graph output)
        for kernel in kernels { for t in kernel.inputIDs { readers[root(t), default: 0] += 1 } }
        for t in graphOutputs { readers[root(t), default: 0] += 1 }
        // Only tensors that are their own root: an alias (RESHAPE of the intermediate) is a reader too.
        func onlyReadOnce(_ t: Int) -> Bool { root(t) == t && readers[t] == 1 }

        var result: [Kernel] = [], resultSteps: [Int] = []
        var k = 0
        while k < kernels.count {
            defer { k += 1 }
            result.append(kernels[k]); resultSteps.append(steps[k])
            guard let conv = kernels[k] as? Conv2DKernel, conv.geometry.isPointwise, !conv.fusedResidual,
                  k + 1 < kernels.count, let add = kernels[k + 1] as? BinaryKernel,
                  add.operation == .add, add.sameShape, add.activation == .none,
                  let convOut = conv.outputIDs.first, onlyReadOnce(convOut),
                  add.inputIDs.filter({ root($0) == convOut }).count == 1,
                  let residual = add.inputIDs.first(where: { root($0) != convOut }) else { continue }
            var output = add.outputIDs[0], alpha: FloatBuffer?, consumed = 1
            if k + 2 < kernels.count, let prelu = kernels[k + 2] as? PReLUKernel, prelu.channels == conv.geometry.outC,
               root(prelu.inputIDs[0]) == root(output), onlyReadOnce(output) {
                output = prelu.outputIDs[0]
                alpha = prelu.alpha
                consumed = 2
            }
            conv.fuse(residual: residual, output: output, alpha: alpha)
            k += consumed
        }
        return (result, resultSteps)
    }
}
