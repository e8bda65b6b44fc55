import Foundation
import TensorCore
#if canImport(Glibc)
import Glibc
#endif

/// The outcome of one input of a long run (`extract`, `prepare-alphabet`) as its journal keeps
/// it: the clip's record (its files are in place), or why tracking made no clip of it, with the
/// line it added to the run's log.
public struct JournalEntry: Codable, Equatable, Sendable {
    public var clipID: String
    public var record: LandmarkRecord?
    public var skipped: String?
    public var log: String?

    public init(clipID: String, record: LandmarkRecord? = nil, skipped: String? = nil, log: String? = nil) {
        self.clipID = clipID; self.record = record; self.skipped = skipped; self.log = log
    }

    enum CodingKeys: String, CodingKey { case clipID = "clip_id", record, skipped, log }
}

/// What a long run has finished so far, beside its manifest (`.<manifest name>.journal.jsonl`):
/// one JSON line per input, written as soon as that input's files are renamed into place. The
/// manifest itself is written at the end, so without the journal a run killed with `kill -9`
/// would leave `--resume` nothing to go on; with it, only the inputs in flight are lost. A line
/// cut short by the kill is ignored (and cut off before the next line is added). The journal is
/// removed once the complete manifest is written; each manifest (a shard's too) has its own.
public final class ImportJournal {
    public let url: URL
    private let descriptor: Int32

    /// The journal of the manifest at `manifest`.
    public static func url(for manifest: URL) -> URL {
        manifest.deletingLastPathComponent().appendingPathComponent(".\(manifest.lastPathComponent).journal.jsonl")
    }

    /// Opens the journal of `manifest` for appending. With `resume` its complete lines are
    /// returned (later lines of a clip win) and kept; without, it starts empty.
    public static func open(for manifest: URL, resume: Bool) throws -> (journal: ImportJournal, entries: [JournalEntry]) {
        let url = url(for: manifest)
        var entries: [JournalEntry] = [], kept = 0
        if resume, let data = FileManager.default.contents(atPath: url.path) {
            (entries, kept) = parse(data)
        }
        let descriptor = Glibc.open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw DatasetError.file(.writing(url.path, errno: errno)) }
        // Whatever follows the last complete line (half a line) goes, so the next line starts clean.
        guard ftruncate(descriptor, off_t(kept)) == 0 else {
            let code = errno
            close(descriptor)
            throw DatasetError.file(.writing(url.path, errno: code))
        }
        return (ImportJournal(url: url, descriptor: descriptor), entries)
    }

    /// The entries of complete lines, and the length of the data up to the last one's newline.
    /// A line that is not an entry (cut short by a kill) ends the journal.
    static func parse(_ data: Data) -> (entries: [JournalEntry], length: Int) {
        var entries: [JournalEntry] = [], length = 0
        let decoder = JSONDecoder()
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast() {
            guard let entry = try? decoder.decode(JournalEntry.self, from: Data(line)) else { break }
            entries.append(entry)
            length += line.count + 1
        }
        return (entries, length)
    }

    private init(url: URL, descriptor: Int32) { self.url = url; self.descriptor = descriptor }

    deinit { close(descriptor) }

    /// Adds one line, written straight to the file and synced like the clip files it follows
    /// (nothing stays buffered in the process, so a kill right after loses nothing).
    public func append(_ entry: JournalEntry) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let line = try encoder.encode(entry) + Data("\n".utf8)
        try line.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < bytes.count {
                let n = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw DatasetError.file(.writing(url.path, errno: n < 0 ? errno : EIO)) }
                offset += n
            }
        }
        fsync(descriptor)
    }

    /// Removes the journal (its manifest is complete).
    public func remove() { unlink(url.path) }
}

extension LandmarkManifest {
    /// Whether a record's landmark and mask files are there and whole: readable `.npy` arrays of
    /// the record's frame count (what `--resume` checks before keeping a clip).
    public func hasCompleteFiles(_ record: LandmarkRecord) -> Bool {
        guard let landmarks = try? NPY.read(contentsOf: resolve(record.landmarks)),
              let mask = try? NPY.read(contentsOf: resolve(record.mask)) else { return false }
        let shape = landmarks.shape
        return shape.count == 3 && shape[0] == record.frameCount && FrameLayout(points: shape[1]) != nil && shape[2] == 3
            && mask.shape == [record.frameCount]
    }
}
