import Foundation
import TestSupport
import XCTest
@testable import Shell

/// The README's command reference is the binary's own `:help`: every command of the shell has an
/// entry and every one of its flags is listed there (`scripts/command-reference.sh` regenerates it).
final class ReadmeTests: XCTestCase {
    func testCommandReferenceListsEveryCommandAndFlag() throws {
        let readme = try String(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        guard let begin = readme.range(of: "<!-- commands:begin"), let end = readme.range(of: "<!-- commands:end -->") else {
            return XCTFail("README.md has no commands:begin/end markers")
        }
        let reference = String(readme[begin.upperBound..<end.lowerBound])
        for definition in CommandRegistry.standardCommandSets.joined() where !definition.name.hasPrefix(":") {
            guard let entry = reference.range(of: "#### `\(definition.name)`") else {
                XCTFail("README command reference lacks `\(definition.name)`: run scripts/command-reference.sh")
                continue
            }
            let rest = reference[entry.upperBound...]
            let text = String(rest[..<(rest.range(of: "#### ")?.lowerBound ?? rest.endIndex)])
            for flag in definition.flags {
                XCTAssertTrue(text.contains("--\(flag.name)"), "README entry for `\(definition.name)` lacks --\(flag.name): run scripts/command-reference.sh")
            }
        }
    }
}
