import Foundation

/// Plots drawn inline in the interactive shell, on terminals that speak an image protocol:
/// kitty's graphics protocol (kitty, WezTerm, Ghostty: `TERM=xterm-kitty` or `KITTY_WINDOW_ID`)
/// or iTerm2's inline images (`TERM_PROGRAM=iTerm.app`, also WezTerm). Detected only when
/// standard output is a terminal, so escape codes never reach a pipe, a file or a transcript;
/// `ASLSH_IMAGES=off` turns it off, `kitty` or `iterm2` forces a protocol (still on a TTY only).
public enum TerminalImages {
    public enum ImageProtocol: String, Equatable { case kitty, iterm2 }

    /// The protocol to use, or nil: none detected, turned off, or not a terminal.
    public static func detect(environment: [String: String] = ProcessInfo.processInfo.environment,
                              isTerminal: Bool = isatty(1) == 1) -> ImageProtocol? {
        guard isTerminal else { return nil }
        switch environment["ASLSH_IMAGES"]?.lowercased() {
        case "off", "none", "0", "no": return nil
        case "kitty": return .kitty
        case "iterm2", "iterm": return .iterm2
        default: break
        }
        if environment["TERM"] == "xterm-kitty" || environment["KITTY_WINDOW_ID"] != nil { return .kitty }
        if environment["TERM_PROGRAM"] == "iTerm.app" || environment["TERM_PROGRAM"] == "WezTerm" { return .iterm2 }
        return nil
    }

    /// The escape sequence that draws `png` at the cursor, followed by a newline.
    public static func sequence(_ png: Data, name: String, using imageProtocol: ImageProtocol) -> String {
        let payload = png.base64EncodedString()
        switch imageProtocol {
        case .kitty:
            // a=T transmit and show, f=100 PNG; the payload goes in chunks of at most 4096 bytes,
            // m=1 on every chunk but the last (the protocol's limit per escape code).
            var chunks: [Substring] = []
            var rest = Substring(payload)
            while !rest.isEmpty {
                chunks.append(rest.prefix(4096))
                rest = rest.dropFirst(4096)
            }
            return chunks.enumerated().map { index, chunk in
                let more = index < chunks.count - 1 ? 1 : 0
                let keys = index == 0 ? "a=T,f=100,m=\(more)" : "m=\(more)"
                return "\u{1B}_G\(keys);\(chunk)\u{1B}\\"
            }.joined() + "\n"
        case .iterm2:
            let encodedName = Data(name.utf8).base64EncodedString()
            return "\u{1B}]1337;File=name=\(encodedName);size=\(png.count);inline=1;preserveAspectRatio=1:\(payload)\u{07}\n"
        }
    }

    /// A value display for the interactive shell: draws a plot's PNG above its path line (the
    /// line still prints, and the transcript records only the line).
    public static func display(using imageProtocol: ImageProtocol, write: @escaping (String) -> Void = { text in
        fputs(text, stdout)
        fflush(stdout)
    }) -> (Value, [String]) -> Bool {
        { value, _ in
            if let path = value.textValue, let png = NotebookConversion.pngFile(path) {
                write(sequence(png, name: (path as NSString).lastPathComponent, using: imageProtocol))
            }
            return false
        }
    }
}
