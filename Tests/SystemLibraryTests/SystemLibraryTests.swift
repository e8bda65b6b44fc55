import XCTest
import CBLAS
import CFFmpeg
import CTurboJPEG
import CPNG
import CEditLine

/// Each C shim module links and answers a version call: proves the set-up installed the -dev
/// packages and the module maps point at the right headers and libraries.
final class SystemLibraryTests: XCTestCase {
    func testOpenBLASComputesADot() {
        // OpenBLAS is loaded on first use with the thread count and core type set for it in the
        // environment; what the user had there is put back (programs aslsh starts inherit it).
        let names = ["OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE"]
        func values() -> [String?] { names.map { name in getenv(name).map { String(cString: $0) } } }
        let before = values()
        let x: [Float] = [1, 2, 3], y: [Float] = [4, 5, 6]
        XCTAssertEqual(cblas_sdot(3, x, 1, y, 1), 32)
        XCTAssertGreaterThanOrEqual(openblas_get_num_threads(), 1)
        XCTAssertFalse(String(cString: openblas_get_corename()).isEmpty)
        XCTAssertEqual(values(), before)
    }

    func testFFmpegLibrariesReportVersions() {
        XCTAssertGreaterThanOrEqual(avformat_version() >> 16, 59) // FFmpeg 5.x ships libavformat 59
        XCTAssertGreaterThanOrEqual(avcodec_version() >> 16, 59)
        XCTAssertGreaterThan(swscale_version() >> 16, 0)
        XCTAssertEqual(aslsh_averror(EINVAL), -EINVAL)
        XCTAssertLessThan(aslsh_averror_eof(), 0)
        var buffer = [CChar](repeating: 0, count: 128)
        let text = String(cString: aslsh_av_strerror(aslsh_averror_eof(), &buffer, 128))
        XCTAssertEqual(text, "End of file")
    }

    func testTurboJPEGInitialises() {
        let handle = tjInitDecompress()
        XCTAssertNotNil(handle)
        if let handle { tjDestroy(handle) }
    }

    func testLibPNGSimplifiedAPIRoundTrip() {
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = 3
        image.height = 2
        image.format = png_uint_32(PNG_FORMAT_RGB)
        let pixels: [UInt8] = (0..<18).map { UInt8($0 * 10) }
        var size = 0
        XCTAssertNotEqual(png_image_write_to_memory(&image, nil, &size, 0, pixels, 0, nil), 0)
        var encoded = [UInt8](repeating: 0, count: size)
        XCTAssertNotEqual(png_image_write_to_memory(&image, &encoded, &size, 0, pixels, 0, nil), 0)
        png_image_free(&image)

        var decoded = png_image()
        decoded.version = png_uint_32(PNG_IMAGE_VERSION)
        XCTAssertNotEqual(png_image_begin_read_from_memory(&decoded, encoded, size), 0)
        decoded.format = png_uint_32(PNG_FORMAT_RGB)
        var back = [UInt8](repeating: 0, count: aslsh_png_image_size(&decoded))
        XCTAssertNotEqual(png_image_finish_read(&decoded, nil, &back, 0, nil), 0)
        XCTAssertEqual(back, pixels)
    }

    func testLibEditHistoryShim() {
        guard let history = history_init() else { return XCTFail("history_init failed") }
        defer { history_end(history) }
        var event = HistEvent()
        XCTAssertEqual(aslsh_history_set_size(history, &event, 100), 0)
        XCTAssertGreaterThanOrEqual(aslsh_history_enter(history, &event, "train ds --epochs 3"), 0)
        XCTAssertEqual(String(cString: event.str), "train ds --epochs 3")
    }
}
