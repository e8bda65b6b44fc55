func runTFLiteBench(_ args: [String]) throws {}
