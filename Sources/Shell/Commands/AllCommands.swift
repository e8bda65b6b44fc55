/// Where every area's commands join the shell. An area defines its commands in
/// `Sources/Shell/Commands/<Area>Commands.swift` as `enum <Area>Commands { static var all: [CommandDefinition] }`
/// and adds one line here (the integrator wires intake/download/trim/extract/build/train/eval/
/// export/predict/plot).
extension CommandRegistry {
    public static var standardCommandSets: [[CommandDefinition]] {
        [
            SessionCommands.all,   // :help :vars :history :time :nice :save :run :reset :quit :seed
            JobCommands.all,       // jobs wait fg cancel
            CoreCommands.all,      // load print show echo sleep count-to
            TableCommands.all,     // where select count sort top head tail
            PipelineCommands.all,  // intake download trim
            LandmarkCommands.all,  // synth import prepare-alphabet extract build
            TrainingCommands.all,  // train eval cv
            ExportCommands.all,    // export onnx|tflite
            PredictCommands.all,   // predict
            PlotCommands.all,      // plot hand|sequence|trajectory|overlay|curves|confusion|bar|hist
            NotebookCommands.all,  // convert
        ]
    }
}
