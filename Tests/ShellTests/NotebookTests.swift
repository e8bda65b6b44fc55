import Foundation
import TensorCore
import TestSupport
import XCTest
@testable import Shell

/// Sessions ↔ notebooks: the conversion keeps every transcript line (printed, volatile, errors,
/// plots embedded), nbformat accepts what aslsh writes, and `--check` reads a notebook like a session.
final class NotebookTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try TestEnvironment.temporaryDirectory("aslsh-notebook")
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    static let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3])

    static let transcript = """
    # aslsh 0.1.0 session, saved 2026-11-26T13:07:52Z, seed 7
    # replay: aslsh FILE    check: aslsh --check FILE
    # check: rtol=1e-3

    x = 3
    echo x
    #> 3
    :time echo x
    #> 3
    #~ time: 0.001 s
    #! check exact
    plot hist m --out p.png
    #> wrote p.png
    #> p.png
    lod x
    #> error: unknown command 'lod' (did you mean 'load'?)
    echo "a\\n\\nb"
    #> a
    #>
    #> b

    """

    func testSessionToNotebookAndBackKeepsEveryLine() throws {
        let converted = try NotebookConversion.notebook(fromTranscript: Self.transcript, file: "t.aslsh") { $0 == "p.png" ? Self.png : nil }
        XCTAssertEqual(converted.warnings, [])
        let notebook = try Notebook.read(converted.output.encoded(), file: "t.ipynb")
        XCTAssertEqual(notebook, converted.output)
        XCTAssertEqual(notebook.cells.map(\.source), ["x = 3", "echo x", ":time echo x", "plot hist m --out p.png", "lod x", #"echo "a\n\nb""#])
        XCTAssertEqual(notebook.seed, 7)
        XCTAssertEqual(notebook.headerNotes, ["# check: rtol=1e-3"])
        let types = notebook.cells.map { $0.outputs.map { $0.object!["output_type"]!.stringValue! } }
        XCTAssertEqual(types, [[], ["stream"], ["stream", "display_data"], ["stream", "display_data"], ["error"], ["stream"]])
        let plot = notebook.cells[3].outputs[1].object!["data"]!.object!
        XCTAssertEqual(plot["image/png"]?.stringValue, Self.png.base64EncodedString())
        XCTAssertEqual(notebook.cells[3].metadata["aslsh"]?.object?["check"]?.stringValue, "#! check exact")
        XCTAssertEqual(notebook.cells[4].outputs[0].object!["evalue"]?.stringValue, "unknown command 'lod' (did you mean 'load'?)")

        let back = NotebookConversion.transcript(from: notebook, file: "t.ipynb", date: Date(timeIntervalSince1970: 1_764_162_472))
        XCTAssertEqual(back.warnings, [])
        let original = try Transcript.parse(Self.transcript)
        let again = try Transcript.parse(back.output)
        XCTAssertEqual(again.map(\.source.text), original.map(\.source.text))
        XCTAssertEqual(again.map(\.expected), original.map(\.expected))
        XCTAssertEqual(again.map(\.tolerance), original.map(\.tolerance), "header and cell tolerances survive")
        XCTAssertEqual(Transcript.seed(in: back.output), 7)
    }

    func testNonAslshCellsBecomeCommentsWithAWarning() throws {
        let json = """
        {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
         "cells": [{"cell_type": "markdown", "id": "a", "metadata": {}, "source": ["# Title\\n", "text"]},
                   {"cell_type": "code", "id": "b", "metadata": {}, "source": "import numpy\\nprint(1)", "outputs": [], "execution_count": 1}]}
        """
        let notebook = try Notebook.read(Data(json.utf8), file: "py.ipynb")
        let result = NotebookConversion.transcript(from: notebook, file: "py.ipynb")
        XCTAssertEqual(result.warnings, ["py.ipynb: cell 2 is a python cell, not aslsh: kept as a comment",
                                         "py.ipynb: 1 non-aslsh cell kept as comments"])
        XCTAssertTrue(result.output.contains("\n# # Title\n# text\n# import numpy\n# print(1)\n"), result.output)
        XCTAssertEqual(try Transcript.parse(result.output).count, 0, "nothing in it runs")
        XCTAssertThrowsError(try NotebookConversion.check(notebook, file: "py.ipynb")) { error in
            XCTAssertTrue("\(error)".hasPrefix("py.ipynb: a python notebook, not aslsh"), "\(error)")
        }
    }

    func testMalformedNotebooksAreNamed() {
        let cases: [(String, String)] = [
            ("{", "bad.ipynb: not JSON"),
            ("[1]", "bad.ipynb: not a notebook: the top level is not a JSON object"),
            (#"{"nbformat": 3, "cells": []}"#, "bad.ipynb: nbformat 3 is not supported"),
            (#"{"nbformat": 4, "cells": [{"source": "x"}]}"#, "bad.ipynb: cell 1: no 'cell_type'"),
            (#"{"nbformat": 4, "cells": [{"cell_type": "code", "source": 5}]}"#, "bad.ipynb: cell 1: 'source' is not text"),
        ]
        for (text, message) in cases {
            XCTAssertThrowsError(try Notebook.read(Data(text.utf8), file: "bad.ipynb")) { error in
                XCTAssertTrue("\(error)".hasPrefix(message), "\(text): \(error)")
            }
        }
    }

    /// The kernel's outputs (stream pieces not ending in a newline, progress displays, tables as
    /// execute_result, stderr) read back as the transcript lines they show.
    func testKernelOutputsReadAsTranscriptLines() {
        func obj(_ pairs: [String: JSONValue]) -> JSONValue { .object(pairs) }
        let outputs: [JSONValue] = [
            obj(["output_type": .string("stream"), "name": .string("stdout"), "text": .string("gen")]),
            obj(["output_type": .string("stream"), "name": .string("stdout"), "text": .array([.string("erated\n"), .string("x\n")])]),
            obj(["output_type": .string("stream"), "name": .string("stderr"), "text": .string("warning\n")]),
            obj(["output_type": .string("display_data"), "data": obj(["text/plain": .string("sleep 3/10")]),
                 "metadata": obj(["aslsh": obj(["progress": .bool(true)])])]),
            Notebook.volatileDisplay("epoch 1\nepoch 2"),
            obj(["output_type": .string("execute_result"), "execution_count": .int(3), "metadata": obj([:]),
                 "data": obj(["text/html": .string("<table/>"), "text/plain": .string("a  b\n1  2")])]),
            Notebook.errorOutput(evalue: "boom", traceback: ["In[1]:1:1: error: boom"]),
        ]
        XCTAssertEqual(Notebook.transcriptLines(outputs), [
            OutputLine("generated"), OutputLine("x"), OutputLine("epoch 1", volatile: true), OutputLine("epoch 2", volatile: true),
            OutputLine("a  b"), OutputLine("1  2"), OutputLine("error: boom"),
        ])
    }

    /// `convert` and `:save x.ipynb` write notebooks nbformat validates (4.5, cell ids); the
    /// notebook checks clean with `--check`, and a changed output is reported by cell.
    func testWrittenNotebooksValidateAndCheck() throws {
        guard AslshBinary.url != nil else { throw XCTSkip(AslshBinary.missingMessage) }
        do { try ExternalTool.requirePython("nbformat") } catch let error as MissingTool where !MissingTool.mustFail {
            throw XCTSkip(error.description)
        }
        let cells = "synth --classes 'A B' --per-class 2 --out s --seed 3; m = load s/synth_manifest.json; m | count by label; "
            + "plot hist m --column detection_rate --out plots/h.png; :time m.count; lod m; :save saved.aslsh; :save saved.ipynb"
        let run = try AslshBinary.run(["--keep-going", "-c", cells], in: directory)
        XCTAssertTrue(run.stdout.contains("saved 6 cells to saved.ipynb"), run.stdout + run.stderr)
        let convert = try AslshBinary.run(["convert", "saved.aslsh", "--to", "ipynb", "--out", "converted.ipynb"], in: directory)
        XCTAssertEqual(convert.status, 0, convert.stderr)
        XCTAssertEqual(convert.stdout, "wrote converted.ipynb\n")
        let script = JupyterKernelTests.scripts.appendingPathComponent("validate_notebooks.py").path
        let validate = try ExternalTool.launch(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script, "saved.ipynb", "converted.ipynb"],
                                               directory: directory)
        XCTAssertEqual(validate.status, 0, validate.stderr)
        XCTAssertEqual(validate.stdout, "valid saved.ipynb as-nbformat-writes\nvalid converted.ipynb as-nbformat-writes\n")
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("saved.ipynb")),
                       try Data(contentsOf: directory.appendingPathComponent("converted.ipynb")), ":save x.ipynb = convert of :save x.aslsh")
        let saved = try Notebook.read(Data(contentsOf: directory.appendingPathComponent("saved.ipynb")), file: "saved.ipynb")
        XCTAssertNotNil(saved.cells[3].outputs.last?.object?["data"]?.object?["image/png"], "the plot is embedded")

        let check = try AslshBinary.run(["--check", "saved.ipynb"], in: directory)
        XCTAssertEqual(check.stdout, "check: saved.ipynb: 6 cells, all match\n", check.stderr)
        XCTAssertEqual(check.status, 0)
        // Round trip back to a session, which checks too.
        let back = try AslshBinary.run(["convert", "saved.ipynb", "--out", "back.aslsh"], in: directory)
        XCTAssertEqual(back.status, 0, back.stderr)
        XCTAssertEqual(try AslshBinary.run(["--check", "back.aslsh"], in: directory).status, 0)

        var tampered = String(decoding: try Data(contentsOf: directory.appendingPathComponent("saved.ipynb")), as: UTF8.self)
        let row = "\"A          2\\n\""
        XCTAssertTrue(tampered.contains(row), "the table row as the notebook stores it")
        tampered = tampered.replacingOccurrences(of: row, with: "\"A          5\\n\"")
        try Data(tampered.utf8).write(to: directory.appendingPathComponent("tampered.ipynb"))
        let failed = try AslshBinary.run(["--check", "tampered.ipynb"], in: directory)
        XCTAssertEqual(failed.status, 1)
        XCTAssertTrue(failed.stdout.contains("tampered.ipynb:3: cell 3 output differs: m | count by label"), failed.stdout)
        XCTAssertTrue(failed.stdout.contains("line 3: 5 vs 2 (integers match exactly)"), failed.stdout)

        let wrong = try AslshBinary.run(["convert", "saved.ipynb", "--to", "ipynb"], in: directory)
        XCTAssertEqual(wrong.status, 1)
        XCTAssertTrue(wrong.stderr.contains("saved.ipynb is already a notebook"), wrong.stderr)
    }
}
