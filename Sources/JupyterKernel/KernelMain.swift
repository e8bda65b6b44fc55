import Foundation
import TensorCore

/// `aslsh kernel`: the Jupyter kernel (started by Jupyter from the kernelspec) and
/// `aslsh kernel install`, which writes that kernelspec.
public enum KernelMain {
    public static let usage = """
    usage: aslsh kernel -f CONNECTION_FILE [--seed N]
           aslsh kernel install [--user | --prefix DIR] [--name NAME]
      -f FILE        serve the Jupyter messaging protocol (5.3) on the sockets the connection file
                     names; Jupyter starts this from the kernelspec, with a connection file it wrote
      install        write the kernelspec (kernel.json, logos) so Jupyter lists an 'aslsh' kernel:
                     --user (the default) in your Jupyter data folder, --prefix DIR in
                     DIR/share/jupyter/kernels (e.g. a virtual environment's sys.prefix)
      --name NAME    the kernelspec's folder name (default aslsh)
      --seed N       the session seed (default 42)
    """

    public static func run(_ arguments: [String]) -> Int32 {
        do {
            if arguments.first == "install" { return try install(Array(arguments.dropFirst())) }
            var connectionFile: String?
            var seed: UInt64 = 42
            var words = Words(arguments)
            while let argument = words.next() {
                switch argument {
                case "-f", "--connection-file": connectionFile = try words.value(of: argument)
                case "--seed":
                    let text = try words.value(of: argument)
                    guard let n = UInt64(text) else { throw KernelError("--seed expects a non-negative integer, got '\(text)'") }
                    seed = n
                case "--help", "-h":
                    print(usage)
                    return 0
                default:
                    if argument.hasPrefix("--connection-file=") { connectionFile = String(argument.dropFirst("--connection-file=".count)) }
                    else { throw KernelError("unknown argument '\(argument)'") }
                }
            }
            guard let connectionFile else { throw KernelError("a connection file is needed (-f FILE); Jupyter passes one") }
            let kernel = try Kernel(connection: try ConnectionInfo.read(connectionFile), seed: seed)
            return kernel.run()
        } catch let error as KernelError {
            fputs("aslsh kernel: \(error)\n\(usage)\n", stderr)
            return 2
        } catch {
            fputs("aslsh kernel: \(error)\n", stderr)
            return 1
        }
    }

    static func install(_ arguments: [String]) throws -> Int32 {
        var prefix: String?
        var name = "aslsh"
        var words = Words(arguments)
        while let argument = words.next() {
            switch argument {
            case "--user": prefix = nil
            case "--prefix": prefix = try words.value(of: argument)
            case "--name":
                name = try words.value(of: argument)
                guard !name.isEmpty, !name.contains("/") else { throw KernelError("--name must be a folder name, got '\(name)'") }
            case "--help", "-h":
                print(usage)
                return 0
            default: throw KernelError("unknown install option '\(argument)'")
            }
        }
        let folder: URL
        do {
            folder = try KernelSpec.install(into: KernelSpec.kernelsFolder(prefix: prefix), name: name, executable: KernelSpec.executablePath)
        } catch {
            fputs("aslsh kernel install: \(error)\n", stderr)
            return 1
        }
        print("installed kernelspec '\(name)' in \(folder.path)")
        return 0
    }

    /// The command line's words, one at a time; an option's value is the word after it.
    struct Words {
        private var words: ArraySlice<String>
        init(_ words: [String]) { self.words = words[...] }
        mutating func next() -> String? { words.popFirst() }
        mutating func value(of option: String) throws -> String {
            guard let value = words.popFirst() else { throw KernelError("\(option) needs a value") }
            return value
        }
    }
}
