/// An 8-bit image with tightly packed rows: `pixels` is [height, width, channels] row-major
/// (channels 3 = RGB, 4 = RGBA). This is the buffer MediaPipe-style consumers take.
public struct RGBImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int = 3, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && (channels == 3 || channels == 4),
                     "RGBImage: bad geometry \(width)x\(height)x\(channels)")
        precondition(pixels.count == width * height * channels,
                     "RGBImage: \(pixels.count) bytes for \(width)x\(height)x\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// Most pixels a decoder accepts (8192 × 8192): a header claiming more is treated as a
    /// damaged file rather than allocated (aslsh's photos and frames are far smaller).
    public static let maxDecodedPixels = 1 << 26

    /// The error for an image header claiming `width` × `height` outside 1…`maxDecodedPixels`, or nil.
    static func sizeProblem(width: Int, height: Int, file: String, operation: String, format: String) -> MediaError? {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard width <= 0 || height <= 0 || overflow || pixels > maxDecodedPixels else { return nil }
        return MediaError(.malformed, file: file, operation: operation,
                          message: "not a valid \(format) (its header claims \(width)x\(height) pixels; at most \(maxDecodedPixels) are decoded)")
    }

    /// A black image.
    public init(width: Int, height: Int, channels: Int = 3) {
        self.init(width: width, height: height, channels: channels,
                  pixels: [UInt8](repeating: 0, count: width * height * channels))
    }

    /// The pixel at (x, y) as its channel values.
    public subscript(x: Int, y: Int) -> ArraySlice<UInt8> {
        let start = (y * width + x) * channels
        return pixels[start..<start + channels]
    }
}

/// A width × height pair for requested output sizes.
public struct ImageSize: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) { self.width = width; self.height = height }
    public var description: String { "\(width)x\(height)" }
}

/// An exact rational (FFmpeg's AVRational): frame rates such as 30000/1001 and time bases.
public struct Rational: Equatable, Hashable, Sendable, CustomStringConvertible, Codable {
    public var numerator: Int
    public var denominator: Int
    public init(_ numerator: Int, _ denominator: Int) {
        self.numerator = numerator
        self.denominator = denominator
    }
    public var value: Double { denominator == 0 ? 0 : Double(numerator) / Double(denominator) }
    public var description: String { "\(numerator)/\(denominator)" }
}
