import XCTest
import TestSupport
@testable import Shell

/// One help page per command, the same through every route (`aslsh help CMD`, `aslsh CMD --help`,
/// `CMD --help` and `:help CMD` in a cell), each with an example; `aslsh --help` lists every
/// command by pipeline stage; `aslsh COMMAND ARGS…` runs one command.
final class HelpTests: XCTestCase {
    private let registry = CommandRegistry.standard

    /// Every command through the command line's parsing (in process) and both in-cell routes (two
    /// runs of the binary); a few commands through all four routes end to end.
    func testEveryCommandPrintsTheSamePageThroughEveryRoute() throws {
        let none: (String) -> Bool = { _ in false }
        var pages = ""
        for name in registry.names {
            let page = registry[name]!.helpText.joined(separator: "\n")
            pages += page + "\n"
            for arguments in [["help", name], [name, "--help"], [name, "some", "argument", "--help"]] {
                let options = try ShellMain.parse(arguments, fileExists: none)
                XCTAssertEqual(options.help, .command(name), "\(arguments)")
                guard case .success(let text) = ShellMain.helpText(options.help!, registry: registry) else {
                    XCTFail("aslsh \(arguments.joined(separator: " ")) has no page"); continue
                }
                XCTAssertEqual(text, page, "aslsh \(arguments.joined(separator: " "))")
            }
        }
        guard AslshBinary.url != nil else { throw XCTSkip(AslshBinary.missingMessage) }
        for cell in [{ (name: String) in ":help \(name)" }, { (name: String) in "\(name) --help" }] {
            let result = try AslshBinary.run(registry.names.flatMap { ["-c", cell($0)] })
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(result.stdout, pages, "every command's page via -c '\(cell("CMD"))'")
        }
        for name in ["train", "where", "prepare-alphabet", ":save", ":time"] {
            let expected = registry[name]!.helpText.joined(separator: "\n") + "\n"
            for arguments in [["help", name], [name, "--help"], ["-c", "\(name) --help"], ["-c", ":help \(name)"]] {
                let result = try AslshBinary.run(arguments)
                XCTAssertEqual(result.status, 0, "aslsh \(arguments): \(result.stderr)")
                XCTAssertEqual(result.stdout, expected, "aslsh \(arguments)")
            }
        }
    }

    /// Descriptions start at most 34 columns in (two spaces, a spelling of at most 30, two
    /// spaces); a wider spelling stands on its own line with its text on the next.
    func testDescriptionsStayInOneColumnOfBoundedWidth() {
        for name in registry.names {
            let page = registry[name]!.helpText
            for (i, line) in page.enumerated() where line.hasPrefix("  -") || line.hasPrefix("      --") {
                let spelling = line.dropFirst(2).components(separatedBy: "  ").first ?? ""
                if spelling.count > CommandDefinition.helpColumnLimit {
                    XCTAssertEqual(spelling.count, line.count - 2, "'\(name)': a wide spelling stands alone: \(line)")
                    XCTAssertTrue(i + 1 < page.count && page[i + 1].hasPrefix(String(repeating: " ", count: 8)),
                                  "'\(name)': the text of \(spelling) goes on the next line")
                }
            }
        }
        let extract = registry["extract"]!.helpText
        let recover = extract.firstIndex { $0.hasPrefix("      --recover-attempts ") }!
        let column = extract[recover + 1].prefix { $0 == " " }.count
        XCTAssertLessThanOrEqual(column, CommandDefinition.helpColumnLimit + 4)
        XCTAssertTrue(extract[recover + 1].contains("the recovery attempts"), extract[recover + 1])
        let quiet = extract.first { $0.hasPrefix("  -q, --quiet") }!
        XCTAssertEqual(quiet.range(of: "no progress display")!.lowerBound.utf16Offset(in: quiet), column)
    }

    func testEveryPageHasAnExample() {
        for name in registry.names {
            XCTAssertTrue(registry[name]!.helpText.contains { $0.hasPrefix("example: ") }, "'\(name)' has no example line")
        }
    }

    func testOverviewListsEveryCommandByStageWithFirstSteps() throws {
        let listed = Set(CommandHelp.stages.flatMap(\.commands))
        XCTAssertEqual(Set(registry.names).subtracting(listed), [], "commands in no stage of CommandHelp.stages")
        XCTAssertEqual(listed.subtracting(registry.names), [], "CommandHelp.stages names unknown commands")
        guard AslshBinary.url != nil else { throw XCTSkip(AslshBinary.missingMessage) }
        for arguments in [["--help"], ["help"]] {
            let result = try AslshBinary.run(arguments)
            XCTAssertEqual(result.status, 0, result.stderr)
            let lines = result.stdout.components(separatedBy: "\n")
            for name in registry.names {
                XCTAssertTrue(lines.contains { $0.hasPrefix("  \(name) ") && $0.hasSuffix(registry[name]!.summary) },
                              "aslsh \(arguments[0]) does not list \(name)")
            }
            for text in ["usage: aslsh", "metadata and video:", "models:", "make demo", "aslsh sessions/quickstart.aslsh",
                         ":help", "make install"] {
                XCTAssertTrue(result.stdout.contains(text), "aslsh \(arguments[0]) lacks '\(text)'")
            }
        }
        XCTAssertLessThan(lines(of: "intake"), lines(of: "build"))
        XCTAssertLessThan(lines(of: "build"), lines(of: "train"))
    }

    private func lines(of name: String) -> Int {
        ShellMain.overview(registry).components(separatedBy: "\n").firstIndex { $0.hasPrefix("  \(name) ") } ?? -1
    }

    func testUnknownCommandHelpSuggestsTheNearestName() throws {
        guard AslshBinary.url != nil else { throw XCTSkip(AslshBinary.missingMessage) }
        let help = try AslshBinary.run(["help", "trian"])
        XCTAssertEqual(help.status, 2)
        XCTAssertEqual(help.stdout, "")
        XCTAssertEqual(help.stderr, "aslsh: help: no command 'trian' (did you mean 'train'?); 'aslsh --help' lists every command\n")
        let nothing = try AslshBinary.run(["help", "qwertyuiop"])
        XCTAssertEqual(nothing.status, 2)
        XCTAssertTrue(nothing.stderr.hasPrefix("aslsh: help: no command 'qwertyuiop'; 'aslsh --help'"), nothing.stderr)
        let typo = try AslshBinary.run(["trian", "--epochs", "3"])
        XCTAssertEqual(typo.status, 2)
        XCTAssertTrue(typo.stderr.hasPrefix("aslsh: no command or file 'trian' (did you mean 'train'?)"), typo.stderr)
    }

    func testCommandLineParsesHelpAndOneShotCommands() throws {
        let none: (String) -> Bool = { _ in false }
        XCTAssertEqual(try ShellMain.parse(["help"], fileExists: none).help, .overview)
        XCTAssertEqual(try ShellMain.parse(["help", "train"], fileExists: none).help, .command("train"))
        XCTAssertEqual(try ShellMain.parse(["train", "x.npz", "--help"], fileExists: none).help, .command("train"))
        XCTAssertEqual(try ShellMain.parse(["--help"], fileExists: none).help, .overview)
        XCTAssertEqual(try ShellMain.parse(["echo", "a", "--x"], fileExists: none).command, ["echo", "a", "--x"])
        XCTAssertEqual(try ShellMain.parse(["--seed", "3", "echo", "a"], fileExists: none),
                       ShellMain.Options(seed: 3, command: ["echo", "a"]))
        // A file of that name is a script: commands never shadow the user's files.
        XCTAssertEqual(try ShellMain.parse(["echo"], fileExists: { $0 == "echo" }), ShellMain.Options(script: "echo"))
        XCTAssertEqual(try ShellMain.parse(["help"], fileExists: { $0 == "help" }).script, "help")
        XCTAssertThrowsError(try ShellMain.parse(["help", "a", "b"], fileExists: none))
        XCTAssertThrowsError(try ShellMain.parse(["-c", "x", "echo", "a"], fileExists: none)) {
            XCTAssertEqual("\($0)", "'echo' runs alone (no -c or --check)")
        }
        XCTAssertEqual(ShellMain.cell(["echo", "plain", "two words", "it's", "--flag=1", "data/x.json"]),
                       "echo plain 'two words' \"it's\" --flag=1 data/x.json")
    }

    func testOneShotCommandRunsAndAFileOfThatNameIsAScript() throws {
        guard AslshBinary.url != nil else { throw XCTSkip(AslshBinary.missingMessage) }
        let directory = try TestEnvironment.temporaryDirectory("aslsh-oneshot")
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try AslshBinary.run(["echo", "hello", "two words", "it's"], in: directory)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout, "hello two words it's\n")
        let failing = try AslshBinary.run(["echo", "--x"], in: directory)
        XCTAssertEqual(failing.status, 1)
        XCTAssertTrue(failing.stderr.hasPrefix("<command line>:1:6: error (cell 1): unknown flag '--x' for 'echo'"), failing.stderr)
        try "echo from the file\n".write(to: directory.appendingPathComponent("echo"), atomically: true, encoding: .utf8)
        let script = try AslshBinary.run(["echo"], in: directory)
        XCTAssertEqual(script.status, 0, script.stderr)
        XCTAssertEqual(script.stdout, "from the file\n")
    }
}
