import CTurboJPEG
import Foundation

/// JPEG through libjpeg-turbo's TurboJPEG API. Decoding uses the accurate integer IDCT and fancy
/// upsampling (TurboJPEG's defaults, flags 0) — the same path OpenCV's `imread` takes, so the RGB
/// buffer is bit-identical to `cv2.cvtColor(cv2.imread(p), COLOR_BGR2RGB)` (checked against the
/// oracle's `rgb_sha256` on all 435 letter photos).
public enum JPEG {
    /// Decodes a JPEG file to RGB8.
    public static func read(_ url: URL) throws -> RGBImage {
        let data = try readFile(url)
        return try decode(data, file: url.path)
    }

    /// Decodes JPEG bytes to RGB8; `file` names the source in errors.
    public static func decode(_ data: Data, file: String = "<memory>") throws -> RGBImage {
        guard let handle = tjInitDecompress() else {
            throw MediaError(.decodeFailed, file: file, operation: "tjInitDecompress", message: lastError(nil))
        }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        return try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> RGBImage in
            guard let base = raw.bindMemory(to: UInt8.self).baseAddress, raw.count > 0 else {
                throw MediaError(.malformed, file: file, message: "not a valid JPEG (empty file)")
            }
            let size = UInt(raw.count)
            guard tjDecompressHeader3(handle, base, size, &width, &height, &subsampling, &colorspace) == 0 else {
                throw MediaError(.malformed, file: file, operation: "tjDecompressHeader3",
                                 message: "not a valid JPEG (\(reason(handle)))")
            }
            if let problem = RGBImage.sizeProblem(width: Int(width), height: Int(height), file: file,
                                                  operation: "tjDecompressHeader3", format: "JPEG") { throw problem }
            var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * 3)
            // Stop at the first warning: it is an error below anyway, and a truncated file then
            // fails at the cut instead of filling the rest of a large image.
            let status = pixels.withUnsafeMutableBufferPointer { out in
                tjDecompress2(handle, base, size, out.baseAddress, width, 0, height, Int32(TJPF_RGB.rawValue), TJFLAG_STOPONWARNING)
            }
            // A warning (e.g. "premature end of data") still fills the buffer, but OpenCV would
            // fail on a truncated file too: treat any non-zero status as an error.
            guard status == 0 else {
                throw MediaError(.malformed, file: file, operation: "tjDecompress2",
                                 message: "not a valid JPEG (\(reason(handle)))")
            }
            return RGBImage(width: Int(width), height: Int(height), pixels: pixels)
        }
    }

    /// Encodes RGB8 to JPEG bytes at `quality` (1…100) with 4:2:0 chroma subsampling.
    public static func encode(_ image: RGBImage, quality: Int = 95, file: String = "<memory>") throws -> Data {
        guard image.channels == 3, image.width > 0, image.height > 0 else {
            throw MediaError(.invalidArgument, file: file, message: "JPEG encode needs a non-empty RGB image")
        }
        guard let handle = tjInitCompress() else {
            throw MediaError(.encodeFailed, file: file, operation: "tjInitCompress", message: lastError(nil))
        }
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let status = image.pixels.withUnsafeBufferPointer { src in
            tjCompress2(handle, src.baseAddress, Int32(image.width), 0, Int32(image.height),
                        Int32(TJPF_RGB.rawValue), &output, &size, Int32(TJSAMP_420.rawValue),
                        Int32(quality), 0)
        }
        defer { if let output { tjFree(output) } }
        guard status == 0, let output else {
            throw MediaError(.encodeFailed, file: file, operation: "tjCompress2", message: lastError(handle))
        }
        return Data(bytes: output, count: Int(size))
    }

    /// Encodes and writes atomically (temporary name, then rename).
    public static func write(_ image: RGBImage, to url: URL, quality: Int = 95) throws {
        let data = try encode(image, quality: quality, file: url.path)
        try writeFileAtomically(data, to: url)
    }

    /// libjpeg's message for a bad file without TurboJPEG's "tjDecompress2(): " prefix, in lower
    /// case: "premature end of JPEG file", "not a JPEG file: starts with 0x89 0x50".
    private static func reason(_ handle: tjhandle?) -> String {
        var text = lastError(handle)
        if let call = text.range(of: #"^[A-Za-z0-9_]+\(\): *"#, options: .regularExpression) { text.removeSubrange(call) }
        if text.lowercased().hasPrefix("premature end") { return "truncated: " + MediaError.lowercasedFirst(text) }
        return MediaError.lowercasedFirst(text)
    }

    private static func lastError(_ handle: tjhandle?) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "unknown TurboJPEG error" }
        return String(cString: text)
    }
}
