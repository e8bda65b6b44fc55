import Foundation

// `aslsh-fuzz`: every reader of untrusted bytes as a libFuzzer target (FuzzTargets.swift).
//
// `make fuzz` builds it with `-sanitize=fuzzer,address -DFUZZING`: libFuzzer's own `main` then
// drives LLVMFuzzerTestOneInput, and the program is `aslsh-fuzz TARGET [libFuzzer flags…] [CORPUS…]`
// (LLVMFuzzerInitialize takes the target name off the command line and passes it to -jobs/-fork
// children as ASLSH_FUZZ_TARGET). A normal build replays saved inputs through the same targets,
// without sanitizers: `aslsh-fuzz TARGET FILE…`. Both print the targets with `--list`.

/// `--list`: each target's name and largest input (scripts/fuzz.sh reads it for -max_len).
func listTargets() -> Never {
    for target in FuzzTargets.all { print(target.name, target.maxLength) }
    exit(0)
}

func usage(_ problem: String) -> Never {
    let names = FuzzTargets.all.map(\.name).joined(separator: " ")
    FileHandle.standardError.write(Data("aslsh-fuzz: \(problem)\nusage: aslsh-fuzz TARGET ARGS…\ntargets: \(names)\n".utf8))
    exit(2)
}

#if FUZZING
@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<Int32>,
                             _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>) -> Int32 {
    if argc.pointee > 1, let first = argv.pointee[1] {
        let name = String(cString: first)
        if name == "--list" { listTargets() }
        if FuzzTargets.named(name) != nil {
            setenv("ASLSH_FUZZ_TARGET", name, 1)
            argv.pointee[1] = argv.pointee[0]   // libFuzzer would take the name for a corpus folder
            argv.pointee += 1
            argc.pointee -= 1
        }
    }
    let name = ProcessInfo.processInfo.environment["ASLSH_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTargets.named(name) else { usage(name.isEmpty ? "no target" : "unknown target '\(name)'") }
    FuzzTargets.current = target
    return 0
}

/// SwiftPM links an executable's `main` to `aslsh_fuzz_main`; here it hands over to libFuzzer.
@_cdecl("aslsh_fuzz_main")
public func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    var count = argc
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzerTestOneInput)
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTargets.run(size == 0 || data == nil ? Data() : Data(bytes: data!, count: size))
    return 0
}
#else
@main
enum Replay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        if arguments.first == "--list" { listTargets() }
        guard let name = arguments.first else { usage("no target") }
        guard let target = FuzzTargets.named(name) else { usage("unknown target '\(name)'") }
        guard arguments.count > 1 else { usage("no input files (`make fuzz` builds the fuzzer itself)") }
        FuzzTargets.current = target
        for file in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: file) else { usage("cannot read \(file)") }
            FuzzTargets.run(data)
            print("\(file): ok (\(data.count) bytes)")
        }
    }
}
#endif
