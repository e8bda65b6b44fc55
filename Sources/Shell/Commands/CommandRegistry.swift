/// The set of commands a session knows. Areas contribute their commands through
/// `CommandRegistry.standardCommandSets` (Commands/AllCommands.swift).
public struct CommandRegistry {
    public private(set) var definitions: [String: CommandDefinition] = [:]
    /// Registration order (`:help` lists groups in this order).
    public private(set) var names: [String] = []

    public init(_ definitions: [CommandDefinition] = []) {
        for definition in definitions { register(definition) }
    }

    /// Adds a command; a name defined twice is a programming error.
    public mutating func register(_ definition: CommandDefinition) {
        precondition(definitions[definition.name] == nil, "command '\(definition.name)' defined twice")
        precondition(definition.arguments.dropLast().allSatisfy { !$0.isVariadic },
                     "only the last argument of '\(definition.name)' may be variadic")
        // Every long spelling (names and aliases) names one flag only, or the binder would guess.
        let spellings = definition.flags.flatMap(\.spellings)
        precondition(Set(spellings).count == spellings.count, "a flag spelling of '\(definition.name)' is used twice")
        definitions[definition.name] = definition
        names.append(definition.name)
    }

    public subscript(name: String) -> CommandDefinition? { definitions[name] }

    /// Every command: the generic ones and each area's.
    public static var standard: CommandRegistry {
        CommandRegistry(standardCommandSets.flatMap { $0 }.map { definition in
            var definition = definition
            definition.usesBLAS = blasCommands.contains(definition.name)
            return definition
        })
    }

    /// The commands that run the neural networks (OpenBLAS products). Hand tracking
    /// (`prepare-alphabet`, `extract`) runs the TFLite models on aslsh's own kernels and works
    /// without OpenBLAS.
    static let blasCommands: Set<String> = ["train", "eval", "cv", "export", "predict"]
}
