import Foundation
import TensorCore

/// The landmark manifest: a JSON array of `LandmarkRecord`s. Landmark and mask paths inside it
/// are relative to the manifest's folder, so a manifest and its `.npy` files move together.
public struct LandmarkManifest: Equatable, Sendable {
    public var records: [LandmarkRecord]
    /// The folder relative paths resolve against (the manifest file's folder).
    public var baseDirectory: URL
    /// Where it was read from; labels errors ("<memory>" when built in code).
    public var source: String

    public init(records: [LandmarkRecord], baseDirectory: URL, source: String = "<memory>") {
        self.records = records
        self.baseDirectory = baseDirectory
        self.source = source
    }

    /// Reads and checks a manifest. Malformed JSON names the file; a bad record names its index
    /// and clip id; duplicate clip ids name both records.
    public static func read(contentsOf url: URL) throws -> LandmarkManifest {
        let file = url.path
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            // Missing or unreadable is not "malformed": say which, in the shared words.
            throw DatasetError.file(.reading(file, error: error))
        }
        let values: [JSONValue]
        do { values = try JSONDecoder().decode([JSONValue].self, from: data) } catch {
            throw DatasetError.malformedManifest(file: file, detail: FileProblem.jsonSyntaxProblem(data)
                                                 ?? "expected a JSON array of landmark records")
        }
        var records = [LandmarkRecord]()
        records.reserveCapacity(values.count)
        var firstIndexOfClip = [String: Int]()
        for (index, value) in values.enumerated() {
            var clipID = "?"
            if case .object(let fields) = value, let id = fields["clip_id"]?.stringValue { clipID = id }
            let record: LandmarkRecord
            do {
                record = try JSONDecoder().decode(LandmarkRecord.self, from: try JSONEncoder().encode(value))
            } catch {
                throw DatasetError.badRecord(manifest: file, index: index, clipID: clipID, problem: jsonErrorDetail(error))
            }
            if let problem = record.inconsistency() {
                throw DatasetError.badRecord(manifest: file, index: index, clipID: clipID, problem: problem)
            }
            if let first = firstIndexOfClip[record.clipID] {
                throw DatasetError.badRecord(manifest: file, index: index, clipID: clipID,
                                             problem: "duplicate clip_id (first used by record \(first))")
            }
            firstIndexOfClip[record.clipID] = index
            records.append(record)
        }
        return LandmarkManifest(records: records, baseDirectory: url.deletingLastPathComponent(), source: file)
    }

    /// Writes the manifest atomically as pretty-printed JSON with sorted keys (stable diffs).
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(records)
        do { try OutputFile.write(data + Data("\n".utf8), to: url) } catch let problem as FileProblem {
            throw DatasetError.file(problem)
        }
    }

    /// A record's path resolved against the manifest's folder (absolute paths are kept).
    public func resolve(_ path: String) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : baseDirectory.appendingPathComponent(path)
    }

    /// Loads a record's landmarks and mask, checking shapes and finiteness.
    public func loadClip(at index: Int) throws -> LandmarkClip {
        let record = records[index]
        return try LandmarkClip.read(landmarks: resolve(record.landmarks), mask: resolve(record.mask),
                                     record: index, clipID: record.clipID)
    }
}

/// A decoding error as a short sentence with the JSON path ("frame_count: expected Int"), never
/// Swift's `keyNotFound(CodingKeys(…), Context(…))`.
public func jsonErrorDetail(_ error: Error) -> String {
    func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
    switch error {
    case DecodingError.keyNotFound(let key, let context):
        let at = path(context.codingPath)
        return "missing field '\(key.stringValue)'" + (at.isEmpty ? "" : " in \(at)")
    case DecodingError.typeMismatch(let type, let context):
        return "'\(path(context.codingPath))' should be \(type)"
    case DecodingError.valueNotFound(let type, let context):
        return "'\(path(context.codingPath))' is null, expected \(type)"
    case DecodingError.dataCorrupted(let context):
        let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
        return underlying ?? context.debugDescription
    default:
        return "\(error)"
    }
}
