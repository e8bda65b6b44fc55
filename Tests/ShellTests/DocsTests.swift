import Foundation
import TensorCore
import TestSupport
import XCTest
@testable import Shell

/// The documentation is part of the program: the README stays short, every link in it and in
/// `docs/` resolves, the command reference is the binary's own help, and every page's `aslsh`
/// examples replay with `aslsh --check` in a fresh folder outside the checkout
/// (`scripts/doc-examples.py` records them; its header describes the format).
final class DocsTests: XCTestCase {
    static let root = TestEnvironment.repositoryRoot
    static var docs: URL { root.appendingPathComponent("docs") }

    static func pages() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: docs, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "md" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    func testReadmeIsShort() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).count
        XCTAssertLessThanOrEqual(lines, 300, "README.md has \(lines) lines: details belong in docs/")
    }

    /// Every relative link of README.md and docs/*.md names a file that exists, and a `#anchor`
    /// into a Markdown page names one of its headings (GitHub's slug rule).
    func testEveryLinkResolves() throws {
        let files = [Self.root.appendingPathComponent("README.md")] + (try Self.pages())
        let link = try NSRegularExpression(pattern: #"\]\(([^)\s]+)\)"#)
        var checked = 0
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in link.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let target = String(text[Range(match.range(at: 1), in: text)!])
                if target.hasPrefix("http://") || target.hasPrefix("https://") || target.hasPrefix("mailto:") { continue }
                let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                let destination = parts[0].isEmpty ? file : file.deletingLastPathComponent().appendingPathComponent(parts[0]).standardizedFileURL
                checked += 1
                guard FileManager.default.fileExists(atPath: destination.path) else {
                    XCTFail("\(file.lastPathComponent): link '\(target)' names a missing file")
                    continue
                }
                if parts.count == 2, destination.pathExtension == "md" {
                    let anchors = Self.anchors(in: try String(contentsOf: destination, encoding: .utf8))
                    XCTAssertTrue(anchors.contains(parts[1]), "\(file.lastPathComponent): link '\(target)': no such heading")
                }
            }
        }
        XCTAssertGreaterThan(checked, 10, "the README and docs link to each other")
    }

    /// GitHub's heading anchors: lower-cased, punctuation other than '-' and '_' dropped,
    /// spaces to '-'. Headings inside fenced blocks are not headings.
    static func anchors(in text: String) -> Set<String> {
        var anchors = Set<String>()
        var inFence = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { inFence.toggle(); continue }
            guard !inFence, line.hasPrefix("#") else { continue }
            let title = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
            let slug = title.lowercased().compactMap { c -> Character? in
                if c == " " { return "-" }
                return c.isLetter || c.isNumber || c == "-" || c == "_" ? c : nil
            }
            anchors.insert(String(slug))
        }
        return anchors
    }

    /// docs/commands.md is exactly what `aslsh help COMMAND` prints for every command, in the
    /// order of `aslsh --help` (`scripts/command-reference.sh` regenerates it).
    func testCommandReferenceIsTheHelp() throws {
        let reference = try String(contentsOf: Self.docs.appendingPathComponent("commands.md"), encoding: .utf8)
        var names: [String] = []
        for definition in CommandRegistry.standardCommandSets.joined() where !definition.name.hasPrefix(":") {
            names.append(definition.name)
            guard let heading = reference.range(of: "\n## `\(definition.name)`\n") else {
                XCTFail("docs/commands.md lacks `\(definition.name)`: run scripts/command-reference.sh")
                continue
            }
            let rest = reference[heading.upperBound...]
            guard let open = rest.range(of: "```text\n"), let close = rest.range(of: "\n```", range: open.upperBound..<rest.endIndex) else {
                XCTFail("docs/commands.md: `\(definition.name)` has no help block")
                continue
            }
            let documented = String(rest[open.upperBound..<close.lowerBound])
            let help = try AslshBinary.run(["help", definition.name])
            XCTAssertEqual(help.status, 0, help.stderr)
            XCTAssertEqual(documented + "\n", help.stdout,
                           "docs/commands.md and `aslsh help \(definition.name)` disagree: run scripts/command-reference.sh")
        }
        XCTAssertGreaterThan(names.count, 20)
    }

    /// Each page's `aslsh` blocks form one session, replayed with `aslsh --check` in a fresh
    /// folder (never the checkout): the printed output must still be what the page shows.
    func testEveryPageExampleReplays() throws {
        var skipped: [String] = []
        var replayed = 0
        for page in try Self.pages() {
            let text = try String(contentsOf: page, encoding: .utf8)
            let blocks = Self.exampleBlocks(in: text)
            guard !blocks.isEmpty else { continue }
            let folder = try TestEnvironment.temporaryDirectory("aslsh-doc-\(page.deletingPathExtension().lastPathComponent)")
            defer { try? FileManager.default.removeItem(at: folder) }
            guard try Self.linkInputs(of: text, into: folder) else {
                skipped.append(page.lastPathComponent)
                continue
            }
            let session = "# aslsh \(ASLSHVersion.string) session, saved 2026-01-01T00:00:00Z, seed 42\n"
                + Transcript.replayLine + "\n\n" + blocks.joined()
            try session.write(to: folder.appendingPathComponent("example.aslsh"), atomically: true, encoding: .utf8)
            let result = try AslshBinary.run(["--check", "example.aslsh"], in: folder)
            XCTAssertEqual(result.status, 0, "docs/\(page.lastPathComponent): the example's output changed (scripts/doc-examples.py re-records it):\n\(result.stdout)\(result.stderr)")
            XCTAssertTrue(result.stdout.hasSuffix("cells, all match\n"), result.stdout)
            replayed += 1
        }
        XCTAssertGreaterThanOrEqual(replayed, 1, "at least the pages on synthetic data replay everywhere")
        if !skipped.isEmpty {
            throw XCTSkip("examples of \(skipped.joined(separator: ", ")) not replayed: \(TestEnvironment.sharedMissingMessage)")
        }
    }

    /// The bodies of the ```aslsh fenced blocks, in order.
    static func exampleBlocks(in text: String) -> [String] {
        var blocks: [String] = []
        var current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line.trimmingCharacters(in: .whitespaces) == "```aslsh" {
                current = []
            } else if let body = current, line.hasPrefix("```") {
                blocks.append(body.joined(separator: "\n") + "\n")
                current = nil
            } else if current != nil {
                current!.append(line)
            }
        }
        return blocks
    }

    /// Links the page's `<!-- example-inputs: DEST=SHARED_PATH … -->` into `folder`; false when
    /// the shared real data is absent.
    static func linkInputs(of text: String, into folder: URL) throws -> Bool {
        guard let start = text.range(of: "<!-- example-inputs:"), let end = text.range(of: "-->", range: start.upperBound..<text.endIndex) else {
            return true
        }
        for pair in text[start.upperBound..<end.lowerBound].split(whereSeparator: \.isWhitespace) {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw XCTSkip("bad example-inputs entry '\(pair)'") }
            guard let source = TestEnvironment.sharedPath(parts[1]) else { return false }
            let destination = folder.appendingPathComponent(parts[0])
            try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(at: destination, withDestinationURL: source)
        }
        return true
    }
}
