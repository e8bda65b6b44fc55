import Foundation

/// Where MediaPipe's hand models are looked for, so one binary finds them from any folder: in a
/// checkout, installed by `make install`, or run straight from the checkout's build folder.
///
/// Order:
/// 1. the `--models DIR` flag — when given, the only place (a mistyped folder must fail, not
///    silently fall back to other models);
/// 2. `$ASLSH_MODELS/mediapipe` (`ASLSH_MODELS` names a models root; empty counts as unset);
/// 3. `models/mediapipe` under the current directory (a checkout after `make setup`);
/// 4. `<executable's folder>/../share/aslsh/models/mediapipe` (the `make install` layout);
/// 5. `models/mediapipe` of the checkout the executable was built in (the nearest folder above
///    the executable holding `Package.swift`, e.g. for `.build/release/aslsh`).
///
/// The first place holding every requested file wins. Nothing is looked up until a command
/// needs the models, so start-up pays nothing.
public struct MediaPipeModelSearch: Sendable {
    /// One folder to look in and why it is on the list.
    public struct Place: Equatable, Sendable {
        public var directory: URL
        /// How the place was chosen, e.g. `$ASLSH_MODELS/mediapipe`.
        public var origin: String
    }

    /// The folders to try, in order.
    public let places: [Place]
    /// Places not searched and why (e.g. no checkout above the executable), for the error.
    public let unavailable: [String]

    public init(explicit: URL? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment,
                currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                executable: URL? = MediaPipeModelSearch.currentExecutable()) {
        if let explicit {
            places = [Place(directory: explicit, origin: "--models")]
            unavailable = ["--models was given, so no other place is searched"]
            return
        }
        var places: [Place] = []
        var unavailable: [String] = []
        if let root = environment["ASLSH_MODELS"], !root.isEmpty {
            places.append(Place(directory: URL(fileURLWithPath: root).appendingPathComponent("mediapipe"),
                                origin: "$ASLSH_MODELS/mediapipe"))
        }
        places.append(Place(directory: currentDirectory.appendingPathComponent("models/mediapipe"),
                            origin: "models/mediapipe under the current directory"))
        if let executable {
            let folder = executable.deletingLastPathComponent()
            places.append(Place(directory: folder.deletingLastPathComponent().appendingPathComponent("share/aslsh/models/mediapipe"),
                                origin: "installed beside \(executable.path)"))
            if let checkout = Self.checkout(above: folder) {
                places.append(Place(directory: checkout.appendingPathComponent("models/mediapipe"),
                                    origin: "the checkout \(executable.lastPathComponent) was built in"))
            } else {
                unavailable.append("no checkout (folder with Package.swift) above \(folder.path)")
            }
        } else {
            unavailable.append("the running executable's path is unknown")
        }
        self.places = places
        self.unavailable = unavailable
    }

    /// The first folder holding every one of `files`.
    public func locate(_ files: [String]) throws -> URL {
        let fileManager = FileManager.default
        for place in places where files.allSatisfy({
            fileManager.fileExists(atPath: place.directory.appendingPathComponent($0).path)
        }) {
            return place.directory.standardizedFileURL
        }
        throw HandsError.modelsNotFound(notFoundReport(files))
    }

    /// The not-found message: what was wanted, every place tried in order, and how to fix it.
    func notFoundReport(_ files: [String]) -> String {
        var lines = ["MediaPipe hand models (\(files.joined(separator: ", "))) not found; looked in:"]
        for (i, place) in places.enumerated() {
            lines.append("  \(i + 1). \(place.directory.standardizedFileURL.path)  (\(place.origin))")
        }
        lines += unavailable.map { "  (not searched: \($0))" }
        lines.append("to fix: run `make setup` in the checkout (fetches them into models/mediapipe), "
                     + "`make install` (installs them beside the binary), or point to a folder holding them "
                     + "with `--models DIR` or `ASLSH_MODELS=ROOT` (ROOT/mediapipe)")
        return lines.joined(separator: "\n")
    }

    /// The running executable, symlinks resolved (`/proc/self/exe` on Linux).
    public static func currentExecutable() -> URL? {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: path)
        }
        return Bundle.main.executableURL?.resolvingSymlinksInPath()
    }

    /// The nearest folder at or above `folder` that holds `Package.swift`.
    static func checkout(above folder: URL) -> URL? {
        var path = folder.standardizedFileURL.path
        while true {
            if FileManager.default.fileExists(atPath: path + "/Package.swift") { return URL(fileURLWithPath: path) }
            let parent = (path as NSString).deletingLastPathComponent
            if parent == path || parent.isEmpty { return nil }
            path = parent
        }
    }
}
