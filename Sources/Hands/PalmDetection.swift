import Foundation

/// One palm found by the palm detector: score, box and the 7 palm keypoints, all normalised to
/// the original image (after letterbox removal).
public struct PalmDetection: Equatable, Codable, Sendable {
    public var score: Double
    public var box: Box
    /// 7 keypoints (x, y): 0 = wrist centre, 2 = middle-finger MCP (the two used downstream).
    public var keypoints: [[Double]]
}

/// The palm detector's post-processing: SSD anchors, box decoding, weighted NMS, letterbox
/// removal and the palm → hand-ROI rule (spec §2.2–2.6).
public enum PalmDecoder {
    /// The 2016 SSD anchor centres (x, y) for the 192×192 palm model (spec §2.2): layers with
    /// equal stride merged; stride 8 → 24×24 cells × 2 anchors, stride 16 → 12×12 × 6; order
    /// row, column, anchor. fixed_anchor_size makes every width/height 1.
    public static let anchors: [(x: Float, y: Float)] = {
        let strides = [8, 16, 16, 16]
        var result: [(x: Float, y: Float)] = []
        var layer = 0
        while layer < strides.count {
            var perCell = 0
            var last = layer
            while last < strides.count, strides[last] == strides[layer] {
                perCell += 2 // aspect ratio 1.0 + the interpolated-scale anchor
                last += 1
            }
            let grid = Int((192.0 / Double(strides[layer])).rounded(.up))
            for y in 0..<grid {
                for x in 0..<grid {
                    let anchor = (x: (Float(x) + 0.5) / Float(grid), y: (Float(y) + 0.5) / Float(grid))
                    for _ in 0..<perCell { result.append(anchor) }
                }
            }
            layer = last
        }
        return result
    }()

    static let boxCount = 2016, valuesPerBox = 18, inputSize: Float = 192

    /// Decodes raw outputs (`regressors [2016·18]`, `logits [2016]`) into detections scoring
    /// ≥ `minScore`, in 192-px letterboxed-square normalised coordinates (spec §2.3).
    public static func decode(regressors: UnsafeBufferPointer<Float>, logits: UnsafeBufferPointer<Float>,
                              minScore: Double) -> [PalmDetection] {
        precondition(regressors.count >= boxCount * valuesPerBox && logits.count >= boxCount)
        var detections: [PalmDetection] = []
        for i in 0..<boxCount {
            let logit = min(max(logits[i], -100), 100)   // score_clipping_thresh 100
            let score = 1 / (1 + exp(-logit))
            guard Double(score) >= minScore else { continue }
            let r = i * valuesPerBox
            let anchor = anchors[i]
            // reverse_output_order: x, y, w, h; offsets in input pixels from the anchor centre.
            let xc = regressors[r] / inputSize + anchor.x
            let yc = regressors[r + 1] / inputSize + anchor.y
            let w = regressors[r + 2] / inputSize
            let h = regressors[r + 3] / inputSize
            guard w >= 0, h >= 0 else { continue } // also drops NaN
            let keypoints = (0..<7).map { k -> [Double] in
                [Double(regressors[r + 4 + 2 * k] / inputSize + anchor.x),
                 Double(regressors[r + 5 + 2 * k] / inputSize + anchor.y)]
            }
            detections.append(PalmDetection(
                score: Double(score),
                box: Box(xMin: Double(xc - w / 2), yMin: Double(yc - h / 2), xMax: Double(xc + w / 2), yMax: Double(yc + h / 2)),
                keypoints: keypoints))
        }
        return detections
    }

    /// MediaPipe's WEIGHTED non-max suppression (spec §2.4): seeds in descending score order;
    /// each output averages box and keypoints over the seed's IoU > 0.3 cluster, weighted by
    /// score, keeping the seed's own score.
    public static func weightedNonMaxSuppression(_ input: [PalmDetection], threshold: Double = 0.3) -> [PalmDetection] {
        var remaining = input.enumerated().sorted {
            $0.element.score != $1.element.score ? $0.element.score > $1.element.score : $0.offset < $1.offset
        }.map(\.element)
        var output: [PalmDetection] = []
        while let seed = remaining.first {
            var cluster: [PalmDetection] = [], rest: [PalmDetection] = []
            for d in remaining {
                if d.box.intersectionOverUnion(seed.box) > threshold { cluster.append(d) } else { rest.append(d) }
            }
            let total = cluster.reduce(0) { $0 + $1.score }
            var merged = seed
            if total > 0 {
                func mean(_ f: (PalmDetection) -> Double) -> Double { cluster.reduce(0) { $0 + f($1) * $1.score } / total }
                merged.box = Box(xMin: mean { $0.box.xMin }, yMin: mean { $0.box.yMin },
                                 xMax: mean { $0.box.xMax }, yMax: mean { $0.box.yMax })
                merged.keypoints = (0..<seed.keypoints.count).map { k in
                    [mean { $0.keypoints[k][0] }, mean { $0.keypoints[k][1] }]
                }
            }
            output.append(merged)
            if rest.count == remaining.count { break }
            remaining = rest
        }
        return output
    }

    /// Maps a detection from the letterboxed square back to the original image (spec §2.5).
    static func removeLetterbox(_ d: PalmDetection, _ pad: LetterboxPadding) -> PalmDetection {
        var out = d
        let (x0, y0) = pad.remove(x: d.box.xMin, y: d.box.yMin)
        let (x1, y1) = pad.remove(x: d.box.xMax, y: d.box.yMax)
        out.box = Box(xMin: x0, yMin: y0, xMax: x1, yMax: y1)
        out.keypoints = d.keypoints.map { p in let (x, y) = pad.remove(x: p[0], y: p[1]); return [x, y] }
        return out
    }

    /// PalmDetectionDetectionToRoi (spec §2.6): box centre, rotation from keypoint 0 → 2, shifted
    /// half a box towards the fingers, squared on the long side and scaled 2.6×.
    public static func handROI(from d: PalmDetection, imageWidth: Int, imageHeight: Int) -> NormalizedRect {
        let W = Double(imageWidth), H = Double(imageHeight)
        let rotation = uprightRotation(x0: d.keypoints[0][0] * W, y0: d.keypoints[0][1] * H,
                                       x1: d.keypoints[2][0] * W, y1: d.keypoints[2][1] * H)
        let rect = NormalizedRect(xCenter: (d.box.xMin + d.box.xMax) / 2, yCenter: (d.box.yMin + d.box.yMax) / 2,
                                  width: d.box.width, height: d.box.height, rotation: rotation)
        return rect.transformed(imageWidth: imageWidth, imageHeight: imageHeight, scale: 2.6, shiftX: 0, shiftY: -0.5)
    }
}
