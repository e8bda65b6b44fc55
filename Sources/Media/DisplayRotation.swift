import CFFmpeg
import Foundation

/// The quarter turn a player applies to show a video upright. Phones store the pixels as the
/// sensor saw them and a display matrix saying how to turn them; frames handed to the tracker
/// are turned the same way (as ffmpeg's autorotate and OpenCV's default orientation handling
/// do), so a portrait clip's hands are upright. Mirroring in the matrix is ignored, as both do.
public enum DisplayRotation: Int, Sendable, Equatable, CustomStringConvertible {
    /// Clockwise degrees.
    case none = 0, clockwise90 = 90, halfTurn = 180, clockwise270 = 270

    /// From a display matrix (3 × 3 int32, 16.16 fixed point, libavutil/display.h): ffmpeg's
    /// `-round(av_display_rotation_get(m))` normalised to 0…360, then to the nearest quarter turn.
    public init(displayMatrix m: [Int32]) {
        guard m.count == 9 else { self = .none; return }
        let a = Double(m[0]) / 65536, b = Double(m[1]) / 65536, c = Double(m[3]) / 65536, d = Double(m[4]) / 65536
        let scale0 = hypot(a, c), scale1 = hypot(b, d)
        guard scale0 > 0, scale1 > 0 else { self = .none; return }
        let counterclockwise = -atan2(b / scale1, a / scale0) * 180 / .pi
        var theta = -counterclockwise.rounded()
        theta -= 360 * (theta / 360 + 0.9 / 360).rounded(.down)
        self = DisplayRotation(rawValue: (Int((theta / 90).rounded()) * 90) % 360) ?? .none
    }

    /// The stream's display matrix side data, if any.
    static func of(_ stream: UnsafeMutablePointer<AVStream>) -> DisplayRotation {
        var size = 0
        guard let data = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size), size >= 36 else { return .none }
        let matrix = UnsafeRawPointer(data).loadUnaligned(as: (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32).self)
        return DisplayRotation(displayMatrix: [matrix.0, matrix.1, matrix.2, matrix.3, matrix.4, matrix.5, matrix.6, matrix.7, matrix.8])
    }

    /// Copies `source`'s display matrix onto `target` (an output stream before its header is
    /// written), so a re-encoded or copied clip is shown turned like its source.
    static func copyMatrix(from source: UnsafeMutablePointer<AVStream>, to target: UnsafeMutablePointer<AVStream>) {
        var size = 0
        guard let data = av_stream_get_side_data(source, AV_PKT_DATA_DISPLAYMATRIX, &size), size > 0,
              let copy = av_stream_new_side_data(target, AV_PKT_DATA_DISPLAYMATRIX, size) else { return }
        copy.update(from: data, count: size)
    }

    /// Whether width and height trade places.
    public var swapsSides: Bool { self == .clockwise90 || self == .clockwise270 }

    public var description: String { "\(rawValue)°" }

    /// `image` turned clockwise by this rotation.
    public func apply(to image: RGBImage) -> RGBImage {
        if self == .none { return image }
        let w = image.width, h = image.height, c = image.channels
        let outW = swapsSides ? h : w, outH = swapsSides ? w : h
        var out = [UInt8](repeating: 0, count: image.pixels.count)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<outH {
                    for x in 0..<outW {
                        // The source pixel shown at (x, y) after the turn.
                        let (sx, sy): (Int, Int)
                        switch self {
                        case .clockwise90: (sx, sy) = (y, h - 1 - x)
                        case .halfTurn: (sx, sy) = (w - 1 - x, h - 1 - y)
                        case .clockwise270: (sx, sy) = (w - 1 - y, x)
                        case .none: (sx, sy) = (x, y)
                        }
                        let s = (sy * w + sx) * c, d = (y * outW + x) * c
                        for k in 0..<c { dst[d + k] = src[s + k] }
                    }
                }
            }
        }
        return RGBImage(width: outW, height: outH, channels: c, pixels: out)
    }
}
