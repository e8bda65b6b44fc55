import Foundation
import TensorCore

/// A Jupyter notebook (nbformat 4.5): what `aslsh convert … --to ipynb` and `:save x.ipynb`
/// write, what the Jupyter kernel's outputs become in JupyterLab, and what `aslsh --check`
/// verifies. A code cell's outputs carry its transcript lines:
///
/// - printed lines are a `stream` on stdout;
/// - volatile lines (`#~`: timings, `train`'s epoch table) are a `display_data` whose metadata
///   says `"aslsh": {"volatile": true}` (the kernel updates it in place as lines arrive);
/// - a plot's path line is a `display_data` with the PNG (`image/png`) and the line (`text/plain`);
/// - a table value is an `execute_result` with `text/html` and the printed lines as `text/plain`;
/// - a failing cell's `error: …` line is an `error` output;
/// - progress displays (`"aslsh": {"progress": true}`) are not part of the transcript.
///
/// So a session converts to a notebook and back without losing a line.
public struct Notebook: Equatable {
    public enum CellKind: String { case code, markdown, raw }

    public struct Cell: Equatable {
        public var kind: CellKind
        public var id: String
        public var source: String
        public var outputs: [JSONValue] = []
        public var executionCount: Int?
        public var metadata: [String: JSONValue] = [:]

        public init(kind: CellKind, id: String, source: String, outputs: [JSONValue] = [], executionCount: Int? = nil,
                    metadata: [String: JSONValue] = [:]) {
            self.kind = kind
            self.id = id
            self.source = source
            self.outputs = outputs
            self.executionCount = executionCount
            self.metadata = metadata
        }
    }

    public var cells: [Cell]
    public var metadata: [String: JSONValue]

    public init(cells: [Cell], metadata: [String: JSONValue]) {
        self.cells = cells
        self.metadata = metadata
    }

    /// The language the notebook's kernel runs (`metadata.kernelspec.language`, else
    /// `metadata.language_info.name`); nil when the notebook does not say.
    public var language: String? {
        metadata["kernelspec"]?.object?["language"]?.stringValue ?? metadata["language_info"]?.object?["name"]?.stringValue
    }

    /// The session seed the notebook records (`metadata.aslsh.seed`).
    public var seed: UInt64? { metadata["aslsh"]?.object?["seed"]?.integer.flatMap { $0 >= 0 ? UInt64($0) : nil } }

    /// Header comment lines kept from a transcript (a description, a `# check:` tolerance).
    public var headerNotes: [String] {
        (metadata["aslsh"]?.object?["header"]?.array ?? []).compactMap(\.stringValue)
    }

    /// The metadata of a notebook whose cells are aslsh cells.
    public static func aslshMetadata(seed: UInt64, notes: [String] = []) -> [String: JSONValue] {
        var aslsh: [String: JSONValue] = ["seed": .int(Int(clamping: seed))]
        if !notes.isEmpty { aslsh["header"] = .array(notes.map { .string($0) }) }
        return [
            "kernelspec": .object(["name": .string("aslsh"), "display_name": .string("aslsh"), "language": .string("aslsh")]),
            "language_info": .object(languageInfo.mapValues { .string($0) }),
            "aslsh": .object(aslsh),
        ]
    }

    /// `language_info` as the kernel reports it in `kernel_info_reply`.
    public static let languageInfo: [String: String] = [
        "name": "aslsh", "version": ASLSHVersion.string, "mimetype": "text/x-aslsh",
        "file_extension": ".aslsh", "codemirror_mode": "shell", "pygments_lexer": "bash",
    ]

    // MARK: reading and writing

    /// Parses notebook JSON (nbformat 4). Errors name the file and what is wrong.
    public static func read(_ data: Data, file: String) throws -> Notebook {
        func fail(_ message: String) -> NotebookError { NotebookError(file: file, message: message) }
        let json: JSONValue
        do { json = try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw fail("not JSON: \(Self.describe(error))")
        }
        guard let root = json.object else { throw fail("not a notebook: the top level is not a JSON object") }
        guard let format = root["nbformat"]?.integer else { throw fail("not a notebook: no 'nbformat' field") }
        guard format == 4 else { throw fail("nbformat \(format) is not supported (only 4; 'jupyter nbconvert --to notebook' upgrades it)") }
        guard let cellValues = root["cells"]?.array else { throw fail("no 'cells' list") }
        var cells: [Cell] = []
        for (index, value) in cellValues.enumerated() {
            guard let cell = value.object, let type = cell["cell_type"]?.stringValue else {
                throw fail("cell \(index + 1): no 'cell_type'")
            }
            guard let kind = CellKind(rawValue: type) else { throw fail("cell \(index + 1): unknown cell_type '\(type)'") }
            guard let source = cell["source"].flatMap(Self.text) else { throw fail("cell \(index + 1): 'source' is not text") }
            cells.append(Cell(kind: kind, id: cell["id"]?.stringValue ?? "cell-\(index + 1)", source: source,
                              outputs: cell["outputs"]?.array ?? [], executionCount: cell["execution_count"]?.integer,
                              metadata: cell["metadata"]?.object ?? [:]))
        }
        return Notebook(cells: cells, metadata: root["metadata"]?.object ?? [:])
    }

    /// nbformat 4.5 JSON: sorted keys, sources as lists of lines (as Jupyter writes them).
    public func encoded() throws -> Data {
        let cellValues: [JSONValue] = cells.enumerated().map { index, cell in
            var object: [String: JSONValue] = [
                "cell_type": .string(cell.kind.rawValue),
                "id": .string(cell.id.isEmpty ? "cell-\(index + 1)" : cell.id),
                "metadata": .object(cell.metadata),
                "source": Self.lines(cell.source),
            ]
            if cell.kind == .code {
                object["outputs"] = .array(cell.outputs)
                object["execution_count"] = cell.executionCount.map { .int($0) } ?? .null
            }
            return .object(object)
        }
        let root: JSONValue = .object(["cells": .array(cellValues), "metadata": .object(metadata),
                                       "nbformat": .int(4), "nbformat_minor": .int(5)])
        return Data((try Self.jupyterJSON(root) + "\n").utf8)
    }

    /// JSON laid out as Jupyter writes notebooks (sorted keys, one-space indent, `"key": value`),
    /// so a notebook aslsh writes and the same notebook saved by JupyterLab differ only where
    /// their content does.
    static func jupyterJSON(_ value: JSONValue, depth: Int = 0) throws -> String {
        let inner = String(repeating: " ", count: depth + 1)
        let outer = String(repeating: " ", count: depth)
        switch value {
        case .object(let object) where !object.isEmpty:
            let members = try object.keys.sorted().map { key in
                inner + (try scalarJSON(.string(key))) + ": " + (try jupyterJSON(object[key]!, depth: depth + 1))
            }
            return "{\n" + members.joined(separator: ",\n") + "\n" + outer + "}"
        case .array(let array) where !array.isEmpty:
            let items = try array.map { inner + (try jupyterJSON($0, depth: depth + 1)) }
            return "[\n" + items.joined(separator: ",\n") + "\n" + outer + "]"
        default:
            return try scalarJSON(value)
        }
    }

    /// A string, number, boolean, null or empty container as JSON text (Foundation escapes strings).
    private static func scalarJSON(_ value: JSONValue) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Text stored as a string or a list of strings (nbformat allows both).
    static func text(_ value: JSONValue) -> String? {
        if let string = value.stringValue { return string }
        guard let parts = value.array else { return nil }
        var text = ""
        for part in parts {
            guard let piece = part.stringValue else { return nil }
            text += piece
        }
        return text
    }

    /// A multi-line string as nbformat's list of lines, each but the last ending in "\n".
    static func lines(_ text: String) -> JSONValue {
        var parts = text.splitLines(keepingCarriageReturns: true)
        if parts.last == "" { parts.removeLast() }
        let count = parts.count
        return .array(parts.enumerated().map { index, part in
            .string(index < count - 1 || text.hasSuffix("\n") ? part + "\n" : part)
        })
    }

    static func describe(_ error: Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            return (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String ?? context.debugDescription
        }
        return "\(error)"
    }

    // MARK: outputs ↔ transcript lines

    /// The outputs that show `lines` (a cell's transcript output). `image` returns a PNG's bytes
    /// for a printed path, or nil when that path is not a PNG file that exists.
    public static func outputs(for lines: [OutputLine], image: (String) -> Data?) -> [JSONValue] {
        var outputs: [JSONValue] = []
        var run: [OutputLine] = []
        func flush() {
            guard let first = run.first else { return }
            let text = run.map(\.text).joined(separator: "\n")
            outputs.append(first.isVolatile ? volatileDisplay(text) : stream(text + "\n"))
            run = []
        }
        // A last line naming a PNG is the plot's value; a last line `error: …` the cell's error.
        let last = lines.last.flatMap { $0.isVolatile ? nil : $0.text }
        let png = last.flatMap(image)
        let isError = last?.hasPrefix("error: ") == true
        for (index, line) in lines.enumerated() {
            if index == lines.count - 1, png != nil || isError { break }
            if let previous = run.last, previous.isVolatile != line.isVolatile { flush() }
            run.append(line)
        }
        flush()
        if let png, let last {
            outputs.append(.object(["output_type": .string("display_data"), "metadata": .object([:]),
                                    "data": .object(["image/png": .string(png.base64EncodedString()), "text/plain": Self.lines(last)])]))
        } else if isError, let last {
            outputs.append(errorOutput(evalue: String(last.dropFirst("error: ".count)), traceback: [last]))
        }
        return outputs
    }

    public static func stream(_ text: String, name: String = "stdout") -> JSONValue {
        .object(["output_type": .string("stream"), "name": .string(name), "text": lines(text)])
    }

    public static func volatileDisplay(_ text: String) -> JSONValue {
        .object(["output_type": .string("display_data"), "data": .object(["text/plain": lines(text)]),
                 "metadata": .object(["aslsh": .object(["volatile": .bool(true)])])])
    }

    public static func errorOutput(evalue: String, traceback: [String]) -> JSONValue {
        .object(["output_type": .string("error"), "ename": .string("error"), "evalue": .string(evalue), "traceback": .array(traceback.map { .string($0) })])
    }

    /// The transcript lines `outputs` show (the inverse of `outputs(for:image:)`; it also reads
    /// what the kernel sent: tables' `text/plain`, progress displays skipped, stderr ignored).
    public static func transcriptLines(_ outputs: [JSONValue]) -> [OutputLine] {
        var lines: [OutputLine] = []
        var pendingStream = ""
        func split(_ text: String) -> [String] {
            var parts = text.splitLines()
            if parts.last == "" { parts.removeLast() }
            return parts
        }
        func flushStream() {
            lines += split(pendingStream).map { OutputLine($0) }
            pendingStream = ""
        }
        for output in outputs {
            guard let object = output.object else { continue }
            switch object["output_type"]?.stringValue {
            case "stream":
                guard object["name"]?.stringValue == "stdout", let text = object["text"].flatMap(text) else { continue }
                pendingStream += text
            case "display_data", "execute_result":
                flushStream()
                let aslsh = object["metadata"]?.object?["aslsh"]?.object
                if aslsh?["progress"] == .bool(true) { continue }
                let volatile = aslsh?["volatile"] == .bool(true)
                if let plain = object["data"]?.object?["text/plain"].flatMap(text) {
                    lines += split(plain).map { OutputLine($0, volatile: volatile) }
                }
            case "error":
                flushStream()
                lines.append(OutputLine("error: " + (object["evalue"]?.stringValue ?? "")))
            default:
                continue
            }
        }
        flushStream()
        return lines
    }
}

/// A notebook that cannot be read or converted, with the file it came from.
public struct NotebookError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var message: String
    public var description: String { "\(file): \(message)" }
}
