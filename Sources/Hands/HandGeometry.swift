import Foundation

/// A rotated rectangle in normalised image coordinates (MediaPipe's `NormalizedRect`):
/// centre (xCenter, yCenter) and size as fractions of image width/height, rotation in radians
/// (clockwise in image space, y pointing down).
public struct NormalizedRect: Equatable, Codable, Sendable {
    public var xCenter: Double
    public var yCenter: Double
    public var width: Double
    public var height: Double
    public var rotation: Double

    public init(xCenter: Double, yCenter: Double, width: Double, height: Double, rotation: Double) {
        self.xCenter = xCenter
        self.yCenter = yCenter
        self.width = width
        self.height = height
        self.rotation = rotation
    }

    /// The same rectangle in pixels of a `imageWidth × imageHeight` image.
    public func pixels(imageWidth: Int, imageHeight: Int) -> PixelRect {
        PixelRect(xCenter: xCenter * Double(imageWidth), yCenter: yCenter * Double(imageHeight),
                  width: width * Double(imageWidth), height: height * Double(imageHeight), rotation: rotation)
    }

    /// MediaPipe's RectTransformationCalculator on a normalised rect (spec §2.6): shift (in units
    /// of the pre-square size, rotated with the rect), square on the long side in pixels, scale.
    func transformed(imageWidth: Int, imageHeight: Int, scale: Double, shiftX: Double, shiftY: Double) -> NormalizedRect {
        let W = Double(imageWidth), H = Double(imageHeight)
        var r = self
        if rotation == 0 {
            r.xCenter += width * shiftX
            r.yCenter += height * shiftY
        } else {
            r.xCenter += (W * width * shiftX * cos(rotation) - H * height * shiftY * sin(rotation)) / W
            r.yCenter += (W * width * shiftX * sin(rotation) + H * height * shiftY * cos(rotation)) / H
        }
        let long = max(width * W, height * H)
        r.width = long / W * scale
        r.height = long / H * scale
        return r
    }

    /// Axis-aligned box (xmin, ymin, xmax, ymax) ignoring rotation, as AssociationNormRect uses it.
    var axisAlignedBox: Box {
        Box(xMin: xCenter - width / 2, yMin: yCenter - height / 2, xMax: xCenter + width / 2, yMax: yCenter + height / 2)
    }
}

/// A rotated rectangle in image pixels (centre, size, rotation in radians).
public struct PixelRect: Equatable, Sendable {
    public var xCenter: Double
    public var yCenter: Double
    public var width: Double
    public var height: Double
    public var rotation: Double
}

/// An axis-aligned box in normalised coordinates.
public struct Box: Equatable, Codable, Sendable {
    public var xMin: Double
    public var yMin: Double
    public var xMax: Double
    public var yMax: Double

    public var width: Double { xMax - xMin }
    public var height: Double { yMax - yMin }

    /// Intersection over union as MediaPipe computes it: 0 for disjoint or merely touching boxes
    /// and for a non-positive union.
    public func intersectionOverUnion(_ other: Box) -> Double {
        let ix = min(xMax, other.xMax) - max(xMin, other.xMin)
        let iy = min(yMax, other.yMax) - max(yMin, other.yMin)
        guard ix > 0, iy > 0 else { return 0 }
        let intersection = ix * iy
        let union = width * height + other.width * other.height - intersection
        return union > 0 ? intersection / union : 0
    }
}

/// MediaPipe's NormalizeRadians: a − 2π·floor((a + π)/(2π)), into [−π, π).
@inlinable func normalizeRadians(_ angle: Double) -> Double {
    angle - 2 * Double.pi * floor((angle + Double.pi) / (2 * Double.pi))
}

/// Rotation that makes the segment p0 → p1 point "up" (both in pixels): π/2 − atan2(−(y1−y0), x1−x0).
@inlinable func uprightRotation(x0: Double, y0: Double, x1: Double, y1: Double) -> Double {
    normalizeRadians(Double.pi / 2 - atan2(-(y1 - y0), x1 - x0))
}

/// Letterbox padding (left, top, right, bottom as fractions) for ImageToTensor with
/// keep_aspect_ratio: the ROI is enlarged to the tensor's aspect ratio (spec §2.1).
public struct LetterboxPadding: Equatable, Codable, Sendable {
    public var left: Double, top: Double, right: Double, bottom: Double

    static let none = LetterboxPadding(left: 0, top: 0, right: 0, bottom: 0)

    /// The enlarged ROI and its padding for a `tensorWidth × tensorHeight` output.
    static func fit(_ roi: PixelRect, tensorWidth: Int, tensorHeight: Int) -> (PixelRect, LetterboxPadding) {
        let tensorAspect = Double(tensorHeight) / Double(tensorWidth)
        let roiAspect = roi.height / roi.width
        var r = roi
        if tensorAspect > roiAspect {
            r.height = roi.width * tensorAspect
            let v = (1 - roiAspect / tensorAspect) / 2
            return (r, LetterboxPadding(left: 0, top: v, right: 0, bottom: v))
        } else {
            r.width = roi.height / tensorAspect
            let h = (1 - tensorAspect / roiAspect) / 2
            return (r, LetterboxPadding(left: h, top: 0, right: h, bottom: 0))
        }
    }

    /// Maps a point normalised to the padded tensor back to the unpadded ROI (spec §2.5).
    @inlinable func remove(x: Double, y: Double) -> (Double, Double) {
        ((x - left) / (1 - left - right), (y - top) / (1 - top - bottom))
    }
}
