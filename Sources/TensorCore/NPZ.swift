import Foundation
import ZIPFoundation

/// NumPy's `.npz`: a zip archive with one `<name>.npy` member per array, stored (`np.savez`) or
/// deflated (`np.savez_compressed`). Array order is kept as in the archive.
public struct NPZ: Sendable {
    /// Arrays in archive order.
    public private(set) var arrays: [(name: String, array: NDArray)]
    /// Where the archive was read from (labels errors from `array(_:)`).
    public var source: String

    public init(arrays: [(name: String, array: NDArray)] = [], source: String = "<memory>") {
        self.arrays = arrays
        self.source = source
    }

    public var names: [String] { arrays.map(\.name) }

    public subscript(name: String) -> NDArray? {
        get { arrays.first { $0.name == name }?.array }
        set {
            if let i = arrays.firstIndex(where: { $0.name == name }) {
                if let newValue { arrays[i].array = newValue } else { arrays.remove(at: i) }
            } else if let newValue {
                arrays.append((name, newValue))
            }
        }
    }

    /// The named array, or an error naming the archive and the array.
    public func array(_ name: String) throws -> NDArray {
        guard let a = self[name] else {
            throw ArrayFileError(file: source, member: name, .missingArray)
        }
        return a
    }

    /// The named array as float32, or an error if it is missing or holds strings.
    public func tensor(_ name: String) throws -> Tensor {
        guard let t = try array(name).tensor() else {
            throw ArrayFileError(file: source, member: name, .unexpected("expected a numeric array, found strings"))
        }
        return t
    }

    // MARK: reading

    /// Reads every array. Any bad member fails the whole read (no partial result), naming it.
    public static func read(contentsOf url: URL) throws -> NPZ {
        let file = url.path
        // Open it ourselves first so a missing or unreadable file is worded as one, not as a bad zip.
        let fd = open(file, O_RDONLY)
        guard fd >= 0 else { throw ArrayFileError(FileProblem.reading(file, errno: errno)) }
        var status = stat()
        let archiveSize = fstat(fd, &status) == 0 ? UInt64(max(0, status.st_size)) : UInt64.max
        close(fd)
        if FileProblem.isFolder(file) { throw ArrayFileError(FileProblem.reading(file, errno: EISDIR)) }
        let archive: Archive
        do { archive = try Archive(url: url, accessMode: .read) } catch {
            throw ArrayFileError(file: file, .corrupt(zipProblem(error)))
        }
        // The sizes in the zip directory are claims: a stored member cannot be larger than the
        // archive, and deflate expands at most 1032:1. A damaged directory claiming gigabytes
        // fails here, at once, instead of being read (or reserved) to the claimed size.
        // Plausible claims are then checked against memory before any member is inflated: the
        // arrays stay, plus one member's bytes twice while it is decoded.
        let (inflated, overflow) = archiveSize.multipliedReportingOverflow(by: 1032)
        var total = 0, largestMember = 0, totalOverflows = false
        for entry in archive where entry.type == .file {
            let largest = entry.isCompressed ? (overflow ? .max : inflated) : archiveSize
            guard entry.compressedSize <= archiveSize, entry.uncompressedSize <= largest else {
                throw ArrayFileError(file: file, member: entry.path, .corrupt(
                    "the zip directory claims \(entry.uncompressedSize) bytes (\(entry.compressedSize) stored) in a \(archiveSize)-byte archive"))
            }
            let size = Int(clamping: entry.uncompressedSize)
            let (sum, o) = total.addingReportingOverflow(size)
            total = sum; totalOverflows = totalOverflows || o
            largestMember = max(largestMember, size)
        }
        try MemoryBudget.checkLoading(url, needed: totalOverflows ? Int.max : total.addingReportingOverflow(2 * largestMember).partialValue)
        var result = NPZ(source: file)
        for entry in archive where entry.type == .file {
            let path = entry.path
            guard path.hasSuffix(".npy") else {
                throw ArrayFileError(file: file, member: path, .notAnArray)
            }
            var bytes = Data()
            bytes.reserveCapacity(Int(clamping: entry.uncompressedSize))
            do {
                // A member inflating past the size its header records is damaged (or a zip bomb):
                // stop there instead of following it.
                let recorded = Int(clamping: entry.uncompressedSize)
                _ = try archive.extract(entry, skipCRC32: false) { chunk in
                    guard bytes.count + chunk.count <= recorded else { throw NPZ.InflatesPastRecordedSize() }
                    bytes.append(chunk)
                }
            } catch is InflatesPastRecordedSize {
                throw ArrayFileError(file: file, member: path, .corrupt("inflates past the \(entry.uncompressedSize) bytes its header records"))
            } catch {
                throw ArrayFileError(file: file, member: path, .corrupt(zipProblem(error)))
            }
            let name = String(path.dropLast(4))
            result.arrays.append((name, try NPY.decode(bytes, file: file, member: path)))
        }
        return result
    }

    struct InflatesPastRecordedSize: Error {}

    // MARK: writing

    /// Writes the archive atomically; `compressed` chooses deflate (`np.savez_compressed`).
    /// Entry timestamps are fixed so equal arrays give byte-identical files.
    public func write(to url: URL, compressed: Bool = false) throws {
        do { try writeArchive(to: url, compressed: compressed) } catch let problem as FileProblem { throw ArrayFileError(problem) }
    }

    private func writeArchive(to url: URL, compressed: Bool) throws {
        try OutputFile.write(to: url) { temp in try writeArchive(at: temp, for: url, compressed: compressed) }
    }

    /// Writes the archive at `temp`, the temporary file for `url` (errors name `url`); for
    /// writers that rename it themselves (`OutputFile.writeTogether`).
    public func writeArchive(at temp: URL, for url: URL, compressed: Bool) throws {
        let archive: Archive
        do { archive = try Archive(url: temp, accessMode: .create) } catch {
            throw ArrayFileError(FileProblem.writing(url.path, error: error))
        }
        for (name, array) in arrays {
            let payload = NPY.encode(array)
            errno = 0
            do {
                try archive.addEntry(with: name + ".npy", type: .file, uncompressedSize: Int64(payload.count),
                                     modificationDate: NPZ.fixedDate, permissions: 0o644,
                                     compressionMethod: compressed ? .deflate : .none) { position, size in
                    payload.subdata(in: Int(position)..<(Int(position) + size))
                }
            } catch {
                // ZIPFoundation reports a failed fwrite without its reason; errno still holds it
                // (EFBIG past `ulimit -f`, ENOSPC on a full disk), which beats a guess.
                let code = errno
                let problem = FileProblem.posixCode(of: error) == nil && code != 0
                    ? FileProblem.writing(url.path, errno: code) : FileProblem.writing(url.path, error: error)
                throw ArrayFileError(problem, member: name + ".npy")
            }
        }
    }

    /// ZIPFoundation's error cases in the words of "not a valid npz (…)": what is wrong with the
    /// bytes, never the library's enum names.
    static func zipProblem(_ error: Error) -> String {
        if let error = error as? Archive.ArchiveError {
            switch error {
            case .missingEndOfCentralDirectoryRecord: return "truncated or not a zip archive: no end-of-archive record"
            case .invalidCRC32: return "checksum mismatch: the member is damaged"
            case .invalidCompressionMethod: return "a member uses a compression method other than stored or deflate"
            case .invalidLocalHeaderDataOffset, .invalidLocalHeaderSize, .invalidCentralDirectoryOffset,
                 .invalidCentralDirectorySize, .invalidCentralDirectoryEntryCount, .invalidEntrySize:
                return "truncated or damaged: the zip directory points past the data"
            case .unreadableArchive: return "not a zip archive"
            default: return "damaged zip archive"
            }
        }
        if error is CocoaError || (error as NSError).domain == NSPOSIXErrorDomain {
            return "truncated: the data ends early"
        }
        // Data.CompressionError (internal to ZIPFoundation): a deflate stream that does not decode.
        return "damaged: a compressed member does not decompress"
    }

    /// 1980-01-01, the DOS epoch zip timestamps start at.
    static let fixedDate = Date(timeIntervalSince1970: 315_532_800)
}

