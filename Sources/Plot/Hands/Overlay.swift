/// A rotated rectangle in normalised image coordinates, as MediaPipe's `NormalizedRect`
/// (mediapipe/framework/formats/rect.proto): centre and size as fractions of the image width and
/// height, rotation in radians, clockwise on screen.
public struct RotatedRect: Equatable, Sendable {
    public var centerX: Double, centerY: Double
    public var width: Double, height: Double
    public var rotation: Double
    public init(centerX: Double, centerY: Double, width: Double, height: Double, rotation: Double = 0) {
        self.centerX = centerX; self.centerY = centerY; self.width = width; self.height = height; self.rotation = rotation
    }

    /// Corner pixels on a `width`×`height` image (top-left, top-right, bottom-right, bottom-left
    /// before rotation). Sizes scale by their own axis, then the box rotates in pixel space.
    public func corners(imageWidth: Int, imageHeight: Int) -> [Point] {
        Polygon.rotatedRect(center: Point(centerX * Double(imageWidth), centerY * Double(imageHeight)),
                            width: width * Double(imageWidth), height: height * Double(imageHeight), angle: rotation)
    }
}

/// Options for `plot overlay` (`--title --pixels --indices`); the output has the frame's size.
public struct OverlayOptions: Equatable, Sendable {
    public var title: String?
    /// Landmark x, y are normalised to 0…1 (MediaPipe's output) rather than pixels.
    public var normalized: Bool
    public var showIndices: Bool
    public var roiColor: Color
    public init(title: String? = nil, normalized: Bool = true, showIndices: Bool = false,
                roiColor: Color = Color(hex: 0x00E5FF)) {
        self.title = title; self.normalized = normalized; self.showIndices = showIndices; self.roiColor = roiColor
    }
}

extension HandPlot {
    /// The debugging view: each hand's skeleton and its ROI box drawn over the source frame.
    /// `hands` are [21][x, y(, z)] each; an empty list draws only the ROIs (detection without
    /// landmarks) or, with neither, a "no hand" banner.
    public static func overlay(image: OverlayImage, hands: [[[Float]]], rois: [RotatedRect] = [],
                               options: OverlayOptions = OverlayOptions()) throws -> Canvas {
        try FontLibrary.shared.check()
        var canvas = Canvas(image: image)
        let t = Typography(width: canvas.width, height: canvas.height)
        let size = Double(min(canvas.width, canvas.height))
        let lw = max(2, size / 200)
        for roi in rois {
            let c = roi.corners(imageWidth: image.width, imageHeight: image.height)
            // Dark under-stroke keeps the box visible on bright and dark frames alike.
            canvas.stroke(c, width: lw * 2.2, color: Color.black.withAlpha(0.45), closed: true)
            canvas.stroke(c, width: lw, color: options.roiColor, closed: true)
            // Mark the box's top edge (its "up" after rotation), where the fingers point.
            let mid = Point((c[0].x + c[1].x) / 2, (c[0].y + c[1].y) / 2)
            canvas.fillCircle(center: mid, radius: lw * 2, color: options.roiColor)
        }
        let sx = options.normalized ? Double(image.width) : 1, sy = options.normalized ? Double(image.height) : 1
        for (h, hand) in hands.enumerated() {
            let xy = try HandSkeleton.xy(hand, frame: h)
            SkeletonPainter.draw(xy.map { Point($0.0 * sx, $0.1 * sy) }, on: &canvas, size: size * 0.9,
                                 indices: options.showIndices, typography: t)
        }
        var banner = options.title
        if hands.isEmpty && rois.isEmpty { banner = (banner.map { $0 + " — " } ?? "") + "no hand detected" }
        if let banner {
            let style = TextStyle(size: t.label.size, weight: .bold, color: .white)
            let h = Canvas.lineHeight(size: style.size) + t.pad
            canvas.fill(Rect(x: 0, y: 0, width: Double(canvas.width), height: h), color: Color.black.withAlpha(0.55))
            canvas.text(banner, at: Point(t.pad, h / 2), style: style, vertical: .middle)
        }
        return canvas
    }
}
