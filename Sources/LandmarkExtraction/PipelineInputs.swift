import Foundation
import Pipeline

extension ClipExtraction {
    /// The clips of a `trim` (or `download`) manifest: a trimmed clip is extracted whole; a clip
    /// with only its downloaded source video is extracted over [start_time, end_time] of that
    /// file's own timestamps. Clips with neither are returned as skips, counted by reason.
    public static func inputs(fromPipelineManifest url: URL) throws -> (inputs: [Input], skipped: [String: Int]) {
        let sliced = try inputs(fromPipelineManifest: url, shard: nil, output: url)
        return (sliced.inputs, sliced.skipped)
    }

    /// The same for one shard of the manifest (`--shard I/N`; nil = all of it), with the run that
    /// records the slice beside the shard's landmark manifest (`output` names the unsharded one).
    public static func inputs(fromPipelineManifest url: URL, shard: Shard?,
                              output: URL) throws -> (inputs: [Input], skipped: [String: Int], shardRun: ShardRun?) {
        let url = shard?.input(url) ?? url
        var records = try Manifest.read(url)
        var manifest = output
        let run = try ShardRun.selectIfSharded(&records, from: url, shard: shard, stage: "extract", output: &manifest)
        let base = url.deletingLastPathComponent()
        func resolve(_ path: String) -> URL { path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path) }
        var inputs: [Input] = [], skipped: [String: Int] = [:]
        for r in records {
            let signer = r.signer.map(String.init)
            if let trim = r.trim, trim.status == "ok", let path = trim.path {
                inputs.append(Input(clipID: r.clipID, label: r.label, labelIndex: r.labelIndex, video: resolve(path),
                                    signer: signer, split: r.split))
            } else if let download = r.download, download.status == .ok, let path = download.path {
                inputs.append(Input(clipID: r.clipID, label: r.label, labelIndex: r.labelIndex, video: resolve(path),
                                    start: r.startTime, end: r.endTime, signer: signer, split: r.split))
            } else {
                let reason = r.trim.map { "trim \($0.status)" } ?? r.download.map { "download \($0.status.rawValue)" } ?? "no video yet"
                skipped[reason, default: 0] += 1
            }
        }
        run?.inputSkips = skipped
        return (inputs, skipped, run)
    }
}
