import Foundation
import Shell
import TensorCore

/// The replies that only read the session: kernel_info, complete and inspect (from the same
/// command definitions as the REPL's Tab completion and `:help`), is_complete (the REPL's rule
/// for continuation lines).
enum KernelRequests {
    static var kernelInfo: [String: JSONValue] {
        [
            "status": .string("ok"), "protocol_version": .string(KernelMessage.protocolVersion),
            "implementation": .string("aslsh"), "implementation_version": .string(ASLSHVersion.string),
            "language_info": .object(Notebook.languageInfo.mapValues { .string($0) }),
            "banner": .string("aslsh \(ASLSHVersion.string): ASL recognition from hand landmarks. ':help' lists commands; Tab completes; Shift-Tab shows a command's page."),
            "help_links": .array([]), "debugger": .bool(false),
        ]
    }

    /// The line holding `cursor` (a Unicode-scalar offset into `code`, as protocol 5.2+ counts)
    /// and the cursor's offset within it.
    static func line(in code: String, cursor: Int) -> (text: String, offset: Int) {
        let scalars = Array(code.unicodeScalars)
        let position = min(max(cursor, 0), scalars.count)
        var start = position
        while start > 0, scalars[start - 1] != "\n" { start -= 1 }
        var end = position
        while end < scalars.count, scalars[end] != "\n" { end += 1 }
        return (String(String.UnicodeScalarView(scalars[start..<end])), position - start)
    }

    static func cursor(_ content: [String: JSONValue], code: String) -> Int {
        content["cursor_pos"]?.integer ?? code.unicodeScalars.count
    }

    static func complete(_ content: [String: JSONValue], session: Session) -> [String: JSONValue] {
        let code = content["code"]?.stringValue ?? ""
        let cursor = cursor(content, code: code)
        let (text, offset) = line(in: code, cursor: cursor)
        let (word, candidates) = Completer(session: session).complete(line: text, cursor: offset)
        return ["status": .string("ok"), "matches": .array(candidates.map { .string($0) }),
                "cursor_start": .int(cursor - word.unicodeScalars.count), "cursor_end": .int(cursor), "metadata": .object([:])]
    }

    /// The word around the cursor: a command name (`train`, `:save`) or a variable.
    static func word(in text: String, at offset: Int) -> String {
        let scalars = Array(text.unicodeScalars)
        func isWordScalar(_ c: Unicode.Scalar) -> Bool {
            CharacterSet.alphanumerics.contains(c) || c == "_" || c == "-" || c == ":" || c == "."
        }
        var start = min(offset, scalars.count)
        while start > 0, isWordScalar(scalars[start - 1]) { start -= 1 }
        var end = min(offset, scalars.count)
        while end < scalars.count, isWordScalar(scalars[end]) { end += 1 }
        return String(String.UnicodeScalarView(scalars[start..<end]))
    }

    static func inspect(_ content: [String: JSONValue], session: Session) -> [String: JSONValue] {
        let code = content["code"]?.stringValue ?? ""
        let (text, offset) = line(in: code, cursor: cursor(content, code: code))
        let name = word(in: text, at: offset)
        var page: String?
        if let definition = CommandHelp.definition(name, in: session.registry) {
            page = definition.helpText.joined(separator: "\n")
        } else if let value = session.variables[name] {
            page = "\(name): \(value.typeName)\n" + ValueFormatter.lines(value).joined(separator: "\n")
        }
        return ["status": .string("ok"), "found": .bool(page != nil),
                "data": .object(page.map { ["text/plain": .string($0)] } ?? [:]), "metadata": .object([:])]
    }

    static func isComplete(_ content: [String: JSONValue]) -> [String: JSONValue] {
        let code = content["code"]?.stringValue ?? ""
        return Lexer.needsMoreInput(code) ? ["status": .string("incomplete"), "indent": .string("")] : ["status": .string("complete")]
    }
}
