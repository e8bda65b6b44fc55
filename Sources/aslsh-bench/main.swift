// aslsh-bench: one benchmark per area, chosen by the first argument (`aslsh-bench nn`).
// Each area keeps its benchmark in its own file, defining `run<Area>Bench(arguments:)`.
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
let benches: [String: ([String]) throws -> Void] = [
    "nn": runNNBench,
]
guard let name = arguments.first, let bench = benches[name] else {
    print("usage: aslsh-bench <area> [options]; areas: \(benches.keys.sorted().joined(separator: ", "))")
    exit(arguments.isEmpty ? 0 : 2)
}
do { try bench(Array(arguments.dropFirst())) } catch {
    FileHandle.standardError.write(Data("aslsh-bench \(name): \(error)\n".utf8))
    exit(1)
}
