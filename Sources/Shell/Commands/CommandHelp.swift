/// Help text shared by every route to it, so they cannot drift apart: `:help CMD`, `CMD --help`
/// in a cell, `aslsh help CMD` and `aslsh CMD --help` print the same page, and `:help` and
/// `aslsh --help` list the commands in the same groups.
public enum CommandHelp {
    /// A group of commands in the order the pipeline uses them.
    public struct Stage {
        public var title: String
        public var commands: [String]
    }

    /// The commands by pipeline stage. A registered command missing here still appears, under
    /// "other" (a test keeps that group empty).
    public static let stages: [Stage] = [
        Stage(title: "metadata and video", commands: ["intake", "download", "trim"]),
        Stage(title: "landmarks", commands: ["synth", "import", "prepare-alphabet", "extract"]),
        Stage(title: "sharded runs", commands: ["merge"]),
        Stage(title: "datasets", commands: ["build"]),
        Stage(title: "models", commands: ["train", "eval", "cv", "export", "predict"]),
        Stage(title: "plots", commands: ["plot"]),
        Stage(title: "notebooks", commands: ["convert"]),
        Stage(title: "values and tables", commands: ["load", "print", "show", "echo", "env", "where", "select", "count",
                                                    "sort", "top", "head", "tail", "write"]),
        Stage(title: "background jobs (a cell ending in '&')", commands: ["jobs", "wait", "fg", "cancel"]),
        Stage(title: "long-job demos", commands: ["sleep", "count-to"]),
        Stage(title: "session directives", commands: [":help", ":vars", ":history", ":time", ":nice", ":save", ":run",
                                                     ":reset", ":seed", ":quit"]),
    ]

    /// The definition `name` refers to: a command, or a directive written with or without its colon.
    public static func definition(_ name: String, in registry: CommandRegistry) -> CommandDefinition? {
        registry[name] ?? (name.hasPrefix(":") ? nil : registry[":" + name])
    }

    /// Why `name` has no page: the message and, when a name is close, `did you mean 'x'?`.
    public static func unknown(_ name: String, in registry: CommandRegistry) -> (message: String, suggestion: String?) {
        let candidates = registry.names + registry.names.filter { $0.hasPrefix(":") }.map { String($0.dropFirst()) }
        return ("no command '\(name)'", Suggestion.hint(for: name, in: candidates))
    }

    /// Every registered command with its summary, grouped by stage.
    public static func commandList(_ registry: CommandRegistry) -> [String] {
        var groups = stages.map { stage in (stage.title, stage.commands.filter { registry[$0] != nil }) }
        let listed = Set(stages.flatMap(\.commands))
        let others = registry.names.filter { !listed.contains($0) }
        if !others.isEmpty { groups.append(("other", others)) }
        let width = registry.names.map(\.count).max() ?? 0
        var lines: [String] = []
        for (title, names) in groups where !names.isEmpty {
            lines.append(title + ":")
            for name in names {
                lines.append("  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + registry[name]!.summary)
            }
        }
        return lines
    }
}
