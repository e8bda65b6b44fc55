import Foundation
import Media
import XCTest

/// Image headers claiming enormous sizes: a 69-byte PNG saying 1,000,000 × 1,000,000 made the
/// decoder ask for 3 TB, an 8×8 JPEG patched to 60000 × 60000 for 10 GB. Both must be a
/// `malformed` error naming the file, without allocating.
final class ImageHeaderLimitTests: XCTestCase {
    static let hugePNG = Data(base64Encoded:
        "iVBORw0KGgoAAAANSUhEUgAPQkAAD0JACAIAAADTD68qAAAADElEQVR4nGNgoAwAAABAAAG3NHzvAAAAAElFTkSuQmCC")!
    static let hugeJPEG = Data(base64Encoded:
        "/9j/4AAQSkZJRgABAgAAAQABAAD//gAQTGF2YzU5LjM3LjEwMAD/2wBDAAgEBAQEBAUFBQUFBQYGBgYGBgYGBgYGBgYHBwcICAgHBwcGBgcHCAgICAkJCQgI"
        + "CAgJCQoKCgwMCwsODg4RERT/xABnAAEAAAAAAAAAAAAAAAAAAAAFAQEBAAAAAAAAAAAAAAAAAAABAxAAAgMBAAIDAQAAAAAAAAAAAgMEBgEFALSFNhMUEQAC"
        + "AgIABAcBAAAAAAAAAAACAwQBBgUAFRSyk4Q4ExIIITP/wAARCOpg6mADARIAAhIAAxIA/9oADAMBAAIRAxEAPwA2MvuU6jpmQ9KF0VcypFWmaapOo6RxJTuj"
        + "+GNJyk5IcuP/AFCzBRIFaxLDAMzErn9KqvwPpSfCgrKORBgPyLoS25Zv0pFrbkXRQ7hcwuVca9lSbuf0wjcmo9GygoKP9frf/XP/ADHcfFEyWScx1WK7UUlv"
        + "aVuE7GD7CBBwxVbxGkuQyOuoUhiBXj1paTDaDI8drCpiLIZyPVr4nePH/9k=")!

    func testPNGClaimingATerapixelIsMalformed() {
        for channels in [3, 4] {
            XCTAssertThrowsError(try PNG.decode(Self.hugePNG, channels: channels, file: "huge.png")) { error in
                let media = error as? MediaError
                XCTAssertEqual(media?.kind, .malformed)
                XCTAssertEqual(media?.file, "huge.png")
                XCTAssertTrue("\(error)".contains("1000000x1000000"), "\(error)")
            }
        }
    }

    func testJPEGClaiming60000SquaredIsMalformed() {
        XCTAssertThrowsError(try JPEG.decode(Self.hugeJPEG, file: "huge.jpg")) { error in
            let media = error as? MediaError
            XCTAssertEqual(media?.kind, .malformed)
            XCTAssertEqual(media?.file, "huge.jpg")
            XCTAssertTrue("\(error)".contains("60000x60000"), "\(error)")
        }
    }

    func testTheLimitStillAdmitsLargePhotos() throws {
        // 4000 × 3000 (a 12-megapixel camera) is well inside the limit.
        XCTAssertGreaterThan(RGBImage.maxDecodedPixels, 4000 * 3000)
        let image = RGBImage(width: 640, height: 480)
        XCTAssertEqual(try PNG.decode(try PNG.encode(image)).width, 640)
        XCTAssertEqual(try JPEG.decode(try JPEG.encode(image)).height, 480)
    }
}
