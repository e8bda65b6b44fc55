import Foundation
import Media
import TensorCore

/// `aslsh kernel install`: the kernelspec Jupyter finds the kernel by — `kernel.json` (how to
/// start it) and the logos JupyterLab's launcher shows — in `KERNELS/aslsh/`.
enum KernelSpec {
    /// Where kernelspecs go: `PREFIX/share/jupyter/kernels` with a prefix, else the user's
    /// Jupyter data folder (`$JUPYTER_DATA_DIR`, else `~/.local/share/jupyter`; `~/Library/Jupyter` on macOS).
    static func kernelsFolder(prefix: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let prefix { return URL(fileURLWithPath: prefix).appendingPathComponent("share/jupyter/kernels") }
        if let data = environment["JUPYTER_DATA_DIR"], !data.isEmpty { return URL(fileURLWithPath: data).appendingPathComponent("kernels") }
        let home = environment["HOME"] ?? NSHomeDirectory()
        #if os(macOS)
        return URL(fileURLWithPath: home).appendingPathComponent("Library/Jupyter/kernels")
        #else
        let dataHome = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.local/share"
        return URL(fileURLWithPath: dataHome).appendingPathComponent("jupyter/kernels")
        #endif
    }

    /// kernel.json: Jupyter starts `aslsh kernel -f CONNECTION_FILE` and interrupts with SIGINT.
    static func kernelJSON(executable: String) throws -> Data {
        let spec: JSONValue = .object([
            "argv": .array([executable, "kernel", "-f", "{connection_file}"].map { .string($0) }),
            "display_name": .string("aslsh"), "language": .string("aslsh"), "interrupt_mode": .string("signal"),
            "metadata": .object(["debugger": .bool(false)]),
        ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(spec) + Data("\n".utf8)
    }

    /// Writes the kernelspec (each file atomically) and returns its folder.
    static func install(into kernels: URL, name: String, executable: String) throws -> URL {
        let folder = kernels.appendingPathComponent(name)
        try OutputFile.write(try kernelJSON(executable: executable), to: folder.appendingPathComponent("kernel.json"))
        for size in [32, 64] {
            try OutputFile.write(try PNG.encode(logo(size: size)), to: folder.appendingPathComponent("logo-\(size)x\(size).png"))
        }
        return folder
    }

    /// The running executable's absolute path (what kernel.json must start).
    static var executablePath: String {
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        #endif
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }

    /// The logo: an open hand (palm and five fingers) in white on a blue disc, drawn per pixel.
    static func logo(size: Int) -> RGBImage {
        var image = RGBImage(width: size, height: size)
        let s = Double(size)
        // Shapes in a unit square: the palm, then fingers as (x, top, bottom) columns, the thumb slanted.
        func inHand(_ x: Double, _ y: Double) -> Bool {
            if x >= 0.32, x <= 0.70, y >= 0.48, y <= 0.80 { return true }
            let fingers: [(x: Double, top: Double)] = [(0.35, 0.26), (0.45, 0.18), (0.55, 0.20), (0.65, 0.28)]
            for finger in fingers where abs(x - finger.x) <= 0.04 && y >= finger.top && y <= 0.5 { return true }
            // thumb: a band from (0.33, 0.62) up-left to (0.18, 0.42)
            let t = ((x - 0.33) * -0.15 + (y - 0.62) * -0.20) / (0.15 * 0.15 + 0.20 * 0.20)
            if t >= 0, t <= 1 {
                let px = 0.33 - 0.15 * t, py = 0.62 - 0.20 * t
                if (x - px) * (x - px) + (y - py) * (y - py) <= 0.045 * 0.045 { return true }
            }
            return false
        }
        for row in 0..<size {
            for column in 0..<size {
                let x = (Double(column) + 0.5) / s, y = (Double(row) + 0.5) / s
                let inside = (x - 0.5) * (x - 0.5) + (y - 0.5) * (y - 0.5) <= 0.25
                let color: [UInt8] = !inside ? [255, 255, 255] : inHand(x, y) ? [255, 255, 255] : [31, 94, 184]
                let offset = (row * size + column) * 3
                image.pixels[offset] = color[0]
                image.pixels[offset + 1] = color[1]
                image.pixels[offset + 2] = color[2]
            }
        }
        return image
    }
}
