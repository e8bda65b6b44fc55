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
        guard FileManager.default.fileExists(atPath: file) else {
            throw ArrayFileError(file: file, .io("no such file"))
        }
        let archive: Archive
        do { archive = try Archive(url: url, accessMode: .read) } catch {
            throw ArrayFileError(file: file, .corrupt("not a readable zip archive (\(error))"))
        }
        var result = NPZ(source: file)
        for entry in archive where entry.type == .file {
            let path = entry.path
            guard path.hasSuffix(".npy") else {
                throw ArrayFileError(file: file, member: path, .notAnArray)
            }
            var bytes = Data()
            bytes.reserveCapacity(Int(clamping: min(entry.uncompressedSize, 1 << 30)))
            do {
                _ = try archive.extract(entry, skipCRC32: false) { bytes.append($0) }
            } catch {
                throw ArrayFileError(file: file, member: path,
                                     .corrupt("cannot extract member (\(error)): archive truncated or corrupt"))
            }
            let name = String(path.dropLast(4))
            result.arrays.append((name, try NPY.decode(bytes, file: file, member: path)))
        }
        return result
    }

    // MARK: writing

    /// Writes the archive atomically; `compressed` chooses deflate (`np.savez_compressed`).
    /// Entry timestamps are fixed so equal arrays give byte-identical files.
    public func write(to url: URL, compressed: Bool = false) throws {
        try AtomicFile.write(to: url) { temp in
            let archive: Archive
            do { archive = try Archive(url: temp, accessMode: .create) } catch {
                throw ArrayFileError(file: url.path, .io("cannot create archive: \(error)"))
            }
            for (name, array) in arrays {
                let payload = NPY.encode(array)
                do {
                    try archive.addEntry(with: name + ".npy", type: .file, uncompressedSize: Int64(payload.count),
                                         modificationDate: NPZ.fixedDate, permissions: 0o644,
                                         compressionMethod: compressed ? .deflate : .none) { position, size in
                        payload.subdata(in: Int(position)..<(Int(position) + size))
                    }
                } catch {
                    throw ArrayFileError(file: url.path, member: name + ".npy", .io("cannot add entry: \(error)"))
                }
            }
        }
    }

    /// 1980-01-01, the DOS epoch zip timestamps start at.
    static let fixedDate = Date(timeIntervalSince1970: 315_532_800)
}

