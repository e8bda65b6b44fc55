import Foundation
import JupyterKernel
import Shell
import TensorCore

// The `aslsh` executable: everything lives in the Shell module, except the Jupyter kernel
// (`aslsh kernel …`), which a file named `kernel` in the current folder yields to, as commands do.
ProcessMemory.keepFreedMemory()
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "kernel", !FileManager.default.fileExists(atPath: "kernel") {
    exit(KernelMain.run(Array(arguments.dropFirst())))
}
exit(ShellMain.run(arguments))
