import Foundation
import XCTest
@testable import Shell

/// Found by `make fuzz`: a high surrogate escape followed by a `\u` escape that is not a low
/// surrogate (`"\ud83d\ud0e0"`) made `load x.json` trap on an arithmetic overflow. A lone
/// surrogate reads as U+FFFD (as Python's and Foundation's readers do with errors="replace")
/// and the escape after it stands alone.
final class JSONReaderSurrogateTests: XCTestCase {
    func testALoneHighSurrogateBeforeAnotherEscapeIsReplaced() throws {
        let value = try JSONReader.parse(Data(#"["\ud83d\ud0e0", "\ud83d\u0041", "\ud83d\ude00", "\ud83d"]"#.utf8), file: "s.json")
        guard case .list(let items) = value else { return XCTFail("\(value)") }
        XCTAssertEqual(items.count, 4)
        let texts = items.compactMap { item -> String? in if case .string(let s) = item { return s } else { return nil } }
        XCTAssertEqual(texts, ["\u{FFFD}\u{D0E0}", "\u{FFFD}A", "😀", "\u{FFFD}"])
    }

    func testTheFuzzFindingLoads() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fuzz/findings/load-json/lone-high-surrogate.json").standardized
        XCTAssertNoThrow(try ValueLoading.load(url, format: .json))
    }
}
