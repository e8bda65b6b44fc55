import Foundation
import Shell

// The `aslsh` executable: everything lives in the Shell module.
exit(ShellMain.run(Array(CommandLine.arguments.dropFirst())))
