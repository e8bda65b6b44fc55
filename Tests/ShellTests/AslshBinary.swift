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
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        // Read stderr on another thread while stdout is read here, so neither pipe fills up.
        final class Collected: @unchecked Sendable { var data = Data() }
        let errCollected = Collected()
        let errThread = Thread { errCollected.data = err.fileHandleForReading.readDataToEndOfFile() }
        errThread.start()
        if let interruptAfter {
            Thread.sleep(forTimeInterval: interruptAfter)
            process.interrupt()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errThread.isFinished { usleep(1000) }
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errCollected.data, as: UTF8.self))
    }
}
