import CPNG
import Foundation

/// PNG through libpng's simplified `png_image_*` API (no setjmp error handling needed): read any
/// PNG as RGB8 or RGBA8, write RGB8/RGBA8.
public enum PNG {
    /// Reads a PNG converted to `channels` 3 (RGB, alpha composited on black by libpng) or 4 (RGBA).
    public static func read(_ url: URL, channels: Int = 3) throws -> RGBImage {
        let data = try readFile(url)
        return try decode(data, channels: channels, file: url.path)
    }

    public static func decode(_ data: Data, channels: Int = 3, file: String = "<memory>") throws -> RGBImage {
        guard channels == 3 || channels == 4 else {
            throw MediaError(.invalidArgument, file: file, message: "PNG channels must be 3 or 4, got \(channels)")
        }
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        let begun = data.withUnsafeBytes { raw in
            png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count)
        }
        guard begun != 0 else {
            throw MediaError(.malformed, file: file, operation: "png_image_begin_read_from_memory",
                             message: "not a valid PNG (\(MediaError.lowercasedFirst(message(of: &image))))")
        }
        if let problem = RGBImage.sizeProblem(width: Int(image.width), height: Int(image.height), file: file,
                                              operation: "png_image_begin_read_from_memory", format: "PNG") { throw problem }
        image.format = png_uint_32(channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_RGB | PNG_FORMAT_FLAG_ALPHA)
        let width = Int(image.width), height = Int(image.height)
        var pixels = [UInt8](repeating: 0, count: aslsh_png_image_size(&image))
        let finished = pixels.withUnsafeMutableBytes { out in
            png_image_finish_read(&image, nil, out.baseAddress, 0, nil)
        }
        guard finished != 0 else {
            throw MediaError(.malformed, file: file, operation: "png_image_finish_read",
                             message: "not a valid PNG (\(MediaError.lowercasedFirst(message(of: &image))))")
        }
        return RGBImage(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// Encodes an RGB8/RGBA8 image to PNG bytes.
    public static func encode(_ rgb: RGBImage, file: String = "<memory>") throws -> Data {
        guard rgb.width > 0, rgb.height > 0 else {
            throw MediaError(.invalidArgument, file: file, message: "PNG encode needs a non-empty image")
        }
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(rgb.width)
        image.height = png_uint_32(rgb.height)
        image.format = png_uint_32(rgb.channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_RGB | PNG_FORMAT_FLAG_ALPHA)
        defer { png_image_free(&image) }
        var size = 0
        // First call measures, second writes (libpng's documented two-pass memory write).
        guard png_image_write_to_memory(&image, nil, &size, 0, rgb.pixels, 0, nil) != 0 else {
            throw MediaError(.encodeFailed, file: file, operation: "png_image_write_to_memory", message: message(of: &image))
        }
        var encoded = [UInt8](repeating: 0, count: size)
        guard png_image_write_to_memory(&image, &encoded, &size, 0, rgb.pixels, 0, nil) != 0 else {
            throw MediaError(.encodeFailed, file: file, operation: "png_image_write_to_memory", message: message(of: &image))
        }
        return Data(encoded.prefix(size))
    }

    /// Encodes and writes atomically (temporary name, then rename).
    public static func write(_ image: RGBImage, to url: URL) throws {
        try writeFileAtomically(try encode(image, file: url.path), to: url)
    }

    private static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }
}
