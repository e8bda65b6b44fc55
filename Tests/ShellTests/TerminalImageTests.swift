import Foundation
import TestSupport
import XCTest
@testable import Shell

/// Plots inline in the interactive shell: kitty or iTerm2 image escapes on a terminal that
/// speaks them, nothing anywhere else (never into a pipe).
final class TerminalImageTests: XCTestCase {
    func testDetection() {
        typealias P = TerminalImages.ImageProtocol
        let cases: [([String: String], Bool, P?)] = [
            (["TERM": "xterm-kitty"], true, .kitty),
            (["KITTY_WINDOW_ID": "1", "TERM": "xterm-256color"], true, .kitty),
            (["TERM_PROGRAM": "iTerm.app"], true, .iterm2),
            (["TERM": "xterm-256color"], true, nil),
            (["TERM": "xterm-kitty"], false, nil),                       // not a terminal: never
            (["TERM": "xterm-kitty", "ASLSH_IMAGES": "off"], true, nil),
            (["TERM": "xterm", "ASLSH_IMAGES": "iterm2"], true, .iterm2),
            (["ASLSH_IMAGES": "kitty"], false, nil),
        ]
        for (environment, tty, expected) in cases {
            XCTAssertEqual(TerminalImages.detect(environment: environment, isTerminal: tty), expected, "\(environment) tty=\(tty)")
        }
    }

    /// kitty: a=T,f=100 on the first chunk, m=1 on all but the last, ≤ 4096 base64 bytes each.
    static func kittyPayload(_ text: String) throws -> Data {
        let pattern = try NSRegularExpression(pattern: "\u{1B}_G([^;]*);([A-Za-z0-9+/=]*)\u{1B}\\\\")
        let matches = pattern.matches(in: text, range: NSRange(text.startIndex..., in: text))
        var payload = ""
        for (index, match) in matches.enumerated() {
            let keys = String(text[Range(match.range(at: 1), in: text)!])
            let chunk = String(text[Range(match.range(at: 2), in: text)!])
            let last = index == matches.count - 1
            XCTAssertEqual(keys, (index == 0 ? "a=T,f=100," : "") + "m=\(last ? 0 : 1)")
            XCTAssertLessThanOrEqual(chunk.count, 4096)
            payload += chunk
        }
        return try XCTUnwrap(Data(base64Encoded: payload), "the chunks join into base64")
    }

    func testEscapeSequences() throws {
        let png = Data((0..<10_000).map { UInt8($0 % 251) })
        let kitty = TerminalImages.sequence(png, name: "p.png", using: .kitty)
        XCTAssertEqual(try Self.kittyPayload(kitty), png)
        XCTAssertEqual(kitty.components(separatedBy: "\u{1B}_G").count - 1, 4, "13,336 base64 bytes in 4 chunks")
        let iterm = TerminalImages.sequence(png, name: "p.png", using: .iterm2)
        XCTAssertEqual(iterm, "\u{1B}]1337;File=name=cC5wbmc=;size=10000;inline=1;preserveAspectRatio=1:\(png.base64EncodedString())\u{07}\n")
    }

    /// The real shell on a pseudo-terminal with TERM=xterm-kitty draws the plot's PNG; with its
    /// output piped it prints the path and no escape code.
    func testThePlotIsDrawnOnAKittyTerminalOnly() throws {
        guard let binary = AslshBinary.url else { throw XCTSkip(AslshBinary.missingMessage) }
        let directory = try TestEnvironment.temporaryDirectory("aslsh-term-images")
        defer { try? FileManager.default.removeItem(at: directory) }
        let cells = "synth --classes A --per-class 1 --out s --seed 2\nplot hand s/landmarks/synth_A_0000.npy --out p.png\n:quit\n"
        let script = JupyterKernelTests.scripts.appendingPathComponent("pty_run.py").path
        let run = try ExternalTool.launch(URL(fileURLWithPath: "/usr/bin/env"),
                                          ["TERM=xterm-kitty", "ASLSH_HISTORY=" + directory.appendingPathComponent("h").path,
                                           "python3", script, directory.path, cells, binary.path], directory: directory)
        XCTAssertEqual(run.status, 0, run.stderr)
        let screen = String(decoding: try XCTUnwrap(Data(base64Encoded: run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))), as: UTF8.self)
        let png = try Data(contentsOf: directory.appendingPathComponent("p.png"))
        XCTAssertEqual(try Self.kittyPayload(screen), png, "the terminal received the plot file")
        let afterImage = try XCTUnwrap(screen.range(of: "\u{1B}\\", options: .backwards)).upperBound
        XCTAssertTrue(screen[afterImage...].hasPrefix("\r\n") && screen[afterImage...].contains("p.png\r\n"),
                      "the path line follows the image: \(screen[afterImage...].prefix(200))")

        let piped = try ExternalTool.launch(binary, [], stdin: cells, directory: directory, environment: ["TERM": "xterm-kitty"])
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertTrue(piped.stdout.hasSuffix("wrote p.png\np.png\n"), piped.stdout)
        XCTAssertFalse((piped.stdout + piped.stderr).contains("\u{1B}"), "no escape codes into a pipe")
    }
}
