import ArgumentParser
import Foundation
import TensorCore

/// The `aslsh` executable: command-line entry point. Everything it does lives in library modules.
struct ASLShell: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aslsh",
        abstract: "American Sign Language recognition from hand landmarks: an interactive shell and toolkit.",
        discussion: """
        Runs MediaPipe-compatible hand tracking, dataset building, training (MLP/LSTM/TCN), \
        evaluation, plotting and ONNX/TFLite export in one native program.
        """,
        version: ASLSHVersion.string)

    @Argument(help: "A session script (*.aslsh) to run.")
    var script: String?

    mutating func run() throws {
        BLASThreads.configureDefault()
        if let script {
            // The command language arrives with the shell; until then a script is only listed.
            let text = try String(contentsOfFile: script, encoding: .utf8)
            print("aslsh \(ASLSHVersion.string): \(script) has \(text.split(separator: "\n").count) line(s); "
                  + "the shell that runs them is not built yet.")
            return
        }
        print("aslsh \(ASLSHVersion.string) — the interactive shell is not built yet; see --help.")
    }
}

ASLShell.main()
