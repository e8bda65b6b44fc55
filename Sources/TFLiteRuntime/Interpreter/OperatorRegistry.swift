/// Maps each builtin operator to its kernel. Resolved once when the interpreter loads a model,
/// so an unsupported op fails then, naming the op and its index.
enum OperatorRegistry {
    static func kernel(for op: OpContext) throws -> Kernel {
        switch op.op.builtin {
        case .conv2D: return try Conv2DKernel(op)
        case .depthwiseConv2D: return try DepthwiseConv2DKernel(op)
        case .fullyConnected:
            if let w = op.optionalInput(1), op.tensors[w].type == .int8 { return try HybridFullyConnectedKernel(op) }
            return try FullyConnectedKernel(op)
        case .add: return try BinaryKernel(op, .add)
        case .sub: return try BinaryKernel(op, .sub)
        case .mul: return try BinaryKernel(op, .mul)
        case .div: return try BinaryKernel(op, .div)
        case .prelu: return try PReLUKernel(op)
        case .logistic: return try UnaryKernel(op, .logistic)
        case .tanh: return try UnaryKernel(op, .tanh)
        case .relu: return try UnaryKernel(op, .clamp(ActivationClamp(.relu)!))
        case .relu6: return try UnaryKernel(op, .clamp(ActivationClamp(.relu6)!))
        case BuiltinOperator(rawValue: 20): return try UnaryKernel(op, .clamp(ActivationClamp(.reluN1To1)!))
        case .sqrt: return try UnaryKernel(op, .sqrt)
        case .rsqrt: return try UnaryKernel(op, .rsqrt)
        case .gelu: return try UnaryKernel(op, .gelu(approximate: op.op.options.geluApproximate))
        case .batchMatMul: return try BatchMatMulKernel(op)
        case .softmax: return try SoftmaxKernel(op)
        case .maxPool2D: return try Pool2DKernel(op, .max)
        case .averagePool2D: return try Pool2DKernel(op, .average)
        case .pad, BuiltinOperator(rawValue: 60): return try PadKernel(op)
        case .concatenation: return try ConcatenationKernel(op)
        case .transpose: return try TransposeKernel(op)
        case .gather: return try GatherKernel(op)
        case .resizeBilinear: return try ResizeBilinearKernel(op)
        case .mean: return try MeanKernel(op)
        case .reduceMax: return try MeanKernel(op, .max)
        case .unidirectionalSequenceLSTM: return try SequenceLSTMKernel(op)
        default:
            throw op.fail("no kernel for \(op.op.builtin.name) (builtin code \(op.op.builtin.rawValue))")
        }
    }

    /// Ops whose output is the input's storage viewed with another shape.
    static let aliasing: Set<BuiltinOperator> = [.reshape, .squeeze, .expandDims]
}
