import Foundation

/// Shared helpers for aslsh's test targets: where the repository and `../shared` are, temporary
/// directories, and running the real outside tools (python3 + NumPy, …) that tests compare against.
public enum TestEnvironment {
    /// The repository root (found from this file's path, so tests work from any directory).
    public static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() } // Tests/TestSupport/TestSupport.swift
        return url
    }()

    /// `../shared` beside the repository (real third-party data and MediaPipe oracles), or nil
    /// in a user's fresh clone. `ASLSH_SHARED` overrides the location.
    public static let shared: URL? = {
        if let env = ProcessInfo.processInfo.environment["ASLSH_SHARED"] {
            return URL(fileURLWithPath: env)
        }
        let url = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }()

    /// A path inside `../shared`, or nil (with the reason to print in a skip) when absent.
    public static func sharedPath(_ relative: String) -> URL? {
        guard let shared else { return nil }
        let url = shared.appendingPathComponent(relative)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    public static let sharedMissingMessage =
        "../shared is absent (a fresh clone): real-data tests skipped; set ASLSH_SHARED to run them"

    /// The MediaPipe model files fetched by set-up, or nil when `make setup` has not run.
    public static func mediapipeModel(_ name: String) -> URL? {
        let url = repositoryRoot.appendingPathComponent("models/mediapipe/\(name).tflite")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// A file of the committed corpus of real-world breakage, `Tests/Fixtures/breakage/…` (bad
    /// metadata records, label files, landmark arrays, odd videos; made by
    /// `scripts/make-breakage-corpus.sh`).
    public static func breakage(_ relative: String) -> URL {
        repositoryRoot.appendingPathComponent("Tests/Fixtures/breakage").appendingPathComponent(relative)
    }

    /// A fresh empty directory under the system temp dir (the shared folder is read-only in CI).
    public static func temporaryDirectory(_ label: String = "aslsh-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Runs an outside program and captures its output.
public struct ExternalTool {
    public struct Failure: Error, CustomStringConvertible {
        public var command: [String]
        public var status: Int32
        public var stderr: String
        public var description: String { "\(command.joined(separator: " ")) exited \(status): \(stderr)" }
    }

    /// What a finished process left behind.
    public struct Outcome {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Starts `executable` with `arguments` (in `directory`, with extra `environment`), feeds it
    /// `stdin`, optionally sends SIGINT after `interruptAfter` seconds, and waits for it. Both
    /// pipes are drained concurrently so a chatty program cannot block on a full pipe.
    public static func launch(_ executable: URL, _ arguments: [String], stdin: String? = nil, directory: URL? = nil,
                              environment: [String: String] = [:], interruptAfter: Double? = nil) throws -> Outcome {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
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
        return Outcome(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                       stderr: String(decoding: errCollected.data, as: UTF8.self))
    }

    /// Runs `arguments[0]` (looked up on PATH) and returns stdout; throws on non-zero exit.
    @discardableResult
    public static func run(_ arguments: [String], stdin: String? = nil,
                           environment: [String: String]? = nil) throws -> String {
        let outcome = try launch(URL(fileURLWithPath: "/usr/bin/env"), arguments, stdin: stdin, environment: environment ?? [:])
        guard outcome.status == 0 else {
            throw Failure(command: arguments, status: outcome.status, stderr: outcome.stderr)
        }
        return outcome.stdout
    }

    /// Starts a Python 3 server program that prints the port it listens on as its first line
    /// (`("127.0.0.1", 0)`: the OS picks a free one) and leaves it running; the caller stops it.
    public static func startServer(_ program: String, _ arguments: [String] = []) throws -> (process: Process, port: Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", program] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            process.terminate()
            throw Failure(command: ["python3", "-c", "<server>"], status: -1, stderr: "the server printed no port")
        }
        return (process, port)
    }

    /// Python's http.server serving `folder` read-only on 127.0.0.1, on a port the OS picks,
    /// returned once it listens; the caller stops the process.
    public static func serveFolderOverHTTP(_ folder: URL) throws -> (process: Process, port: Int) {
        try startServer("""
            import functools, http.server, sys
            handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
            handler.func.log_message = lambda *a: None
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """, [folder.path])
    }

    /// Runs a Python 3 program (text on stdin) with the given arguments.
    @discardableResult
    public static func python(_ program: String, _ arguments: [String] = []) throws -> String {
        try run(["python3", "-c", program] + arguments)
    }

    /// True when `python3 -c "import <module>"` succeeds.
    public static func pythonHas(_ module: String) -> Bool {
        (try? run(["python3", "-c", "import \(module)"])) != nil
    }
}

/// Why a test could not use an outside Python tool. Tests rethrow it as `XCTSkip` on a user's
/// machine, but under CI (`CI` set, where `scripts/setup.sh` installs every tool) a missing tool
/// is a failure, never a silent skip.
public struct MissingTool: Error, CustomStringConvertible {
    public let module: String
    public var description: String { "python3 module '\(module)' is not installed (scripts/setup.sh installs it)" }
    public static var mustFail: Bool { ProcessInfo.processInfo.environment["CI"] != nil }
}

extension ExternalTool {
    /// Throws `MissingTool` unless `python3 -c "import <module>"` works. Use as
    /// `do { try ExternalTool.requirePython("onnx") } catch let e as MissingTool where !MissingTool.mustFail { throw XCTSkip(e.description) }`
    /// — or simply `try ExternalTool.requirePython(...)` to always fail when absent.
    public static func requirePython(_ modules: String...) throws {
        for m in modules where !pythonHas(m) { throw MissingTool(module: m) }
    }
}
