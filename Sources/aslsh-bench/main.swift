import Foundation

// aslsh-bench AREA [options]: benchmarks (never timed tests). Each area registers its entry
// point here and keeps its code in `<Area>Bench.swift`.
let benches: [(name: String, run: ([String]) -> Int32)] = [
    ("shell", runShellBench),
]

let arguments = Array(CommandLine.arguments.dropFirst())
let selected = arguments.first
var status: Int32 = 0
var ran = false
for bench in benches where selected == nil || selected == bench.name {
    ran = true
    status = max(status, bench.run(Array(arguments.dropFirst())))
}
if !ran {
    fputs("usage: aslsh-bench [\(benches.map(\.name).joined(separator: "|"))] [options]\n", stderr)
    exit(2)
}
exit(status)
