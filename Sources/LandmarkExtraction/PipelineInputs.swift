import Foundation
import Pipeline

extension ClipExtraction {
    /// The clips of a `trim` (or `download`) manifest: a trimmed clip is extracted whole; a clip
    /// with only its downloaded source video is extracted over [start_time, end_time] of that
    /// file's own timestamps. Clips with neither are returned as skips, counted by reason.
    public static func inputs(fromPipelineManifest url: URL) throws -> (inputs: [Input], skipped: [String: Int]) {
        let records = try Manifest.read(url)
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
        return (inputs, skipped)
    }
}
