import Foundation
import TensorCore

/// `convert`: saved sessions ↔ Jupyter notebooks (`.ipynb`, nbformat 4.5).
public enum NotebookCommands {
    public static var all: [CommandDefinition] { [convert] }

    static let convert = CommandDefinition(
        "convert", summary: "convert a saved session to a Jupyter notebook (.ipynb) or a notebook back to a session",
        discussion: """
        --to ipynb: one code cell per cell with its saved output; plots whose PNG exists are embedded
        (image/png), volatile lines (timings, epoch tables) kept apart so --check ignores them. --to aslsh:
        the notebook's cells and outputs as a session that 'aslsh FILE' runs and 'aslsh --check' checks;
        markdown cells, and the cells of a notebook in another language, become comments (with a warning).
        The default --out is the input with the other extension. 'aslsh --check x.ipynb' checks a notebook as it is.
        example: convert sessions/quickstart.aslsh --to ipynb --out quickstart.ipynb
        """,
        arguments: [ArgumentSpec("input", .path, "a saved session (.aslsh) or a notebook (.ipynb)")],
        flags: [FlagSpec("to", .choice(["ipynb", "aslsh"]), "the format to write (default: the other one)"),
                FlagSpec("out", .path, "output file (default: the input with the new extension)")]
    ) { call in
        let input = call.url("input")!
        let name = call.string("input")!
        let isNotebook = input.pathExtension.lowercased() == "ipynb"
        let target = call.string("to") ?? (isNotebook ? "aslsh" : "ipynb")
        guard (target == "aslsh") == isNotebook else {
            throw call.failure("\(name) is already \(isNotebook ? "a notebook" : "a session"): "
                + "--to \(target) converts \(target == "ipynb" ? "a session (.aslsh)" : "a notebook (.ipynb)")")
        }
        let data: Data
        do { data = try Data(contentsOf: input) } catch { throw call.failure(FileProblem.reading(input.path, error: error).description) }
        let outName = call.string("out") ?? ((name as NSString).deletingPathExtension + "." + target)
        let out = call.url("out") ?? Invocation.resolvePath(outName)
        let bytes: Data
        let warnings: [String]
        do {
            if isNotebook {
                let result = NotebookConversion.transcript(from: try Notebook.read(data, file: name), file: name)
                (bytes, warnings) = (Data(result.output.utf8), result.warnings)
            } else {
                let result = try NotebookConversion.notebook(fromTranscript: String(decoding: data, as: UTF8.self), file: name)
                (bytes, warnings) = (try result.output.encoded(), result.warnings)
            }
        } catch let error as NotebookError {
            throw call.failure(error.description)
        }
        for warning in warnings { call.session.errorSink("warning: " + warning) }
        do { try OutputFile.write(bytes, to: out) } catch { throw call.failure(FileProblem.writing(out.path, error: error).description) }
        call.session.print("wrote \(outName)")
        return .null
    }
}
