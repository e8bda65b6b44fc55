import Foundation
import TestSupport

/// The built `aslsh` executable, found in the build products directory the tests run from
/// (so `swift test -c release` uses the release binary), else `.build/{release,debug}`.
/// `ASLSH_BINARY` overrides.
enum AslshBinary {
    static let url: URL? = {
        if let path = ProcessInfo.processInfo.environment["ASLSH_BINARY"] { return URL(fileURLWithPath: path) }
        var directories: [URL] = []
        if let executable = Bundle.main.executableURL { directories.append(executable.deletingLastPathComponent()) }
        for bundle in Bundle.allBundles {
            directories.append(bundle.bundleURL)
            directories.append(bundle.bundleURL.deletingLastPathComponent())
        }
        for configuration in ["release", "debug"] {
            directories.append(TestEnvironment.repositoryRoot.appendingPathComponent(".build/\(configuration)"))
        }
        for directory in directories {
            let candidate = directory.appendingPathComponent("aslsh")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate.path) {
                return candidate
            }
        }
        return nil
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let missingMessage = "the aslsh executable is not built (swift build --build-tests builds it)"

    /// Runs aslsh with `arguments` in `directory` (default: the repository root), feeding `stdin`.
    /// `interruptAfter` sends SIGINT after that many seconds.
    static func run(_ arguments: [String], stdin: String = "", in directory: URL = TestEnvironment.repositoryRoot,
                    environment: [String: String] = [:], interruptAfter: Double? = nil) throws -> Result {
        guard let url else { throw NSError(domain: "AslshBinary", code: 1, userInfo: [NSLocalizedDescriptionKey: missingMessage]) }
        let outcome = try ExternalTool.launch(url, arguments, stdin: stdin, directory: directory,
                                              environment: environment, interruptAfter: interruptAfter)
        return Result(status: outcome.status, stdout: outcome.stdout, stderr: outcome.stderr)
    }
}
