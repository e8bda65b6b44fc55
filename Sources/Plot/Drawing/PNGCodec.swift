import CPNG
import Foundation
import TensorCore

/// PNG through libpng's simplified `png_image_*` API (no setjmp). Output is deterministic: the
/// simplified writer stores no timestamp or text chunks, so equal pixels give equal bytes.
public enum PNGCodec {
    /// PNG_FORMAT_RGBA is a compound macro Swift does not import: colour | alpha flags.
    static let rgbaFormat = png_uint_32(PNG_FORMAT_FLAG_COLOR) | png_uint_32(PNG_FORMAT_FLAG_ALPHA)

    /// Encodes 8-bit pixels; `channels` is 3 (RGB) or 4 (RGBA).
    public static func encode(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws -> [UInt8] {
        precondition(channels == 3 || channels == 4, "PNG channels must be 3 or 4")
        precondition(pixels.count == width * height * channels, "pixel buffer size mismatch")
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        image.format = channels == 4 ? rgbaFormat : png_uint_32(PNG_FORMAT_RGB)
        defer { png_image_free(&image) }
        // One pass into a buffer sized for the worst case (stored deflate blocks: raw rows plus
        // 5 bytes per 16 KiB block, chunk headers and slack), instead of libpng's size-query pass
        // that would compress the image twice. A too-small buffer makes libpng report the size.
        let raw = (width * channels + 1) * height
        var size = raw + raw / 1024 * 5 + 64 * 1024
        var out = [UInt8](repeating: 0, count: size)
        if png_image_write_to_memory(&image, &out, &size, 0, pixels, 0, nil) == 0 {
            guard size > out.count else { throw PlotError.png(file: "<memory>", message: message(of: &image)) }
            png_image_free(&image)
            image.warning_or_error = 0
            out = [UInt8](repeating: 0, count: size)
            guard png_image_write_to_memory(&image, &out, &size, 0, pixels, 0, nil) != 0 else {
                throw PlotError.png(file: "<memory>", message: message(of: &image))
            }
        }
        return Array(out.prefix(size))
    }

    /// Decodes a PNG into 8-bit RGBA, [height, width, 4].
    public static func decodeRGBA(_ data: [UInt8], file: String = "<memory>") throws -> (width: Int, height: Int, pixels: [UInt8]) {
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        guard png_image_begin_read_from_memory(&image, data, data.count) != 0 else {
            throw PlotError.png(file: file, message: message(of: &image))
        }
        image.format = rgbaFormat
        var pixels = [UInt8](repeating: 0, count: aslsh_png_image_size(&image))
        guard png_image_finish_read(&image, nil, &pixels, 0, nil) != 0 else {
            throw PlotError.png(file: file, message: message(of: &image))
        }
        return (Int(image.width), Int(image.height), pixels)
    }

    /// Reads a PNG file into a canvas (tests and tools that inspect written plots).
    public static func read(_ url: URL) throws -> Canvas {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw PlotError.file(.reading(url.path, error: error))
        }
        let (w, h, px) = try decodeRGBA([UInt8](data), file: url.path)
        var canvas = Canvas(width: w, height: h)
        canvas.pixels = px
        return canvas
    }

    private static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

extension Canvas {
    /// The PNG encoding: RGB when every pixel is opaque (smaller), RGBA otherwise.
    public func pngData() throws -> [UInt8] {
        var opaque = true
        for i in stride(from: 3, to: pixels.count, by: 4) where pixels[i] != 255 { opaque = false; break }
        if !opaque { return try PNGCodec.encode(width: width, height: height, channels: 4, pixels: pixels) }
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            rgb[3 * i] = pixels[4 * i]; rgb[3 * i + 1] = pixels[4 * i + 1]; rgb[3 * i + 2] = pixels[4 * i + 2]
        }
        return try PNGCodec.encode(width: width, height: height, channels: 3, pixels: rgb)
    }

    /// Writes the canvas as a PNG atomically (temporary sibling + rename); returns `url`.
    @discardableResult
    public func writePNG(to url: URL) throws -> URL {
        let bytes = try pngData()
        do { try OutputFile.write(Data(bytes), to: url) } catch let problem as FileProblem {
            throw PlotError.file(problem)
        }
        return url
    }
}
