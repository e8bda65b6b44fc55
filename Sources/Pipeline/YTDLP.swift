import Foundation

/// Running the real `yt-dlp` as a subprocess — an argument vector through `Process`, never a
/// shell — and classifying its error messages into download statuses.
enum YTDLP {
    struct Run {
        var exitStatus: Int32
        var stderr: String
        var stdout: String
        var timedOut: Bool
        var cancelled: Bool
    }

    /// Finds an executable on PATH (or takes a path with a slash as is).
    static func locate(_ name: String) -> URL? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? URL(fileURLWithPath: name) : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// Runs `executable arguments…`, killing its whole process group — yt-dlp and any ffmpeg it
    /// started — after `timeout` seconds or when `isCancelled`. (Foundation's `Process` starts the
    /// child as the leader of its own process group, so the group id is the child's pid.)
    static func run(_ executable: URL, _ arguments: [String], timeout: Double, isCancelled: () -> Bool) throws -> Run {
        let process = Process()
        // yt-dlp dies with aslsh: a killed aslsh (kill -9) must not leave a yt-dlp behind that
        // goes on writing the `.part` file the next run (`--resume`) continues. `setpriv` (Linux,
        // util-linux) sets the parent-death signal and then runs yt-dlp in its own place.
        if FileManager.default.isExecutableFile(atPath: setpriv) {
            process.executableURL = URL(fileURLWithPath: setpriv)
            process.arguments = ["--pdeathsig", "KILL", "--", executable.path] + arguments
        } else {
            process.executableURL = executable
            process.arguments = arguments
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Drain both pipes on their own threads so a chatty child never blocks on a full pipe.
        final class Box: @unchecked Sendable { var data = Data() }
        let outBox = Box(), errBox = Box()
        let group = DispatchGroup()
        for (pipe, box) in [(out, outBox), (err, errBox)] {
            group.enter()
            Thread {
                box.data = pipe.fileHandleForReading.readDataToEndOfFile()
                group.leave()
            }.start()
        }
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false, cancelled = false
        while process.isRunning {
            if Date() > deadline { timedOut = true }
            if isCancelled() { cancelled = true }
            if timedOut || cancelled {
                terminateGroup(process)
                break
            }
            usleep(50_000)
        }
        process.waitUntilExit()
        group.wait()
        return Run(exitStatus: process.terminationStatus, stderr: String(decoding: errBox.data, as: UTF8.self),
                   stdout: String(decoding: outBox.data, as: UTF8.self), timedOut: timedOut, cancelled: cancelled)
    }

    static let setpriv = "/usr/bin/setpriv"

    /// SIGTERM to the child's process group, SIGKILL if it is still there after 2 s.
    private static func terminateGroup(_ process: Process) {
        let pid = process.processIdentifier
        kill(-pid, SIGTERM)
        process.terminate()
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        kill(-pid, SIGKILL)
    }

    /// Maps yt-dlp's error text to a status. Phrases are yt-dlp's and YouTube's own wording
    /// (yt_dlp/extractor/youtube.py, yt_dlp/networking/exceptions.py, yt_dlp/downloader/http.py).
    static func classify(_ message: String) -> DownloadStatus {
        let text = message.lowercased()
        func has(_ phrases: [String]) -> Bool { phrases.contains { text.contains($0) } }
        if has(["private video", "this video is private"]) { return .private }
        if has(["not available in your country", "geo restriction", "geo-restrict", "geo restricted",
                "blocked it in your country", "not made this video available in your country"]) { return .geoBlocked }
        if has(["sign in to confirm", "login required", "--cookies", "members-only", "join this channel",
                "age-restricted", "confirm your age", "requires authentication", "http error 401"]) { return .loginRequired }
        if has(["video unavailable", "has been removed", "no longer available", "does not exist", "http error 404",
                "http error 410", "account associated with this video has been terminated", "this video is unavailable",
                "unsupported url", "is not a valid url", "unable to extract",
                // A mirror folder without the file (file:// URLs).
                "[errno 2] no such file or directory"]) { return .unavailable }
        if has(["timed out", "timeout"]) { return .timeout }
        if has(["unable to download webpage", "connection refused", "connection reset", "connection aborted",
                "name or service not known", "temporary failure in name resolution", "network is unreachable",
                "incompleteread", "incomplete read", "remote end closed", "http error 5", "did not get any data",
                "content too short", "unable to download video data", "got error", "ssl", "urlopen error",
                "transporterror", "bytes read"]) { return .networkError }
        return .failed
    }

    /// The `ERROR:` lines of yt-dlp's stderr (or its last line), as the message kept per video.
    static func errorMessage(_ stderr: String) -> String {
        // yt-dlp rewrites progress lines with "\r": drop them so "ERROR: \r[download] …" reads whole.
        let lines = stderr.replacingOccurrences(of: "\r", with: "").split(whereSeparator: \.isNewline).map(String.init)
        let errors = lines.filter { $0.hasPrefix("ERROR:") }
        let chosen = errors.isEmpty ? Array(lines.suffix(1)) : errors
        return chosen.joined(separator: " | ").trimmingCharacters(in: .whitespaces)
    }
}

/// Public face of the classifier, for callers that run yt-dlp themselves.
public enum DownloadClassifier {
    public static func status(of ytDLPMessage: String) -> DownloadStatus { YTDLP.classify(ytDLPMessage) }
}
