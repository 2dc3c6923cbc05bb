import CArchive
import Glibc

/// An archive that could not be read or written, or one entry of it that was
/// refused; the message names the archive and, where there is one, the entry.
public struct ArchiveError: Error, CustomStringConvertible, Sendable {
    public let archive: String
    public let entry: String?
    public let reason: String

    public var description: String {
        entry.map { "\(archive): entry '\($0)': \(reason)" } ?? "\(archive): \(reason)"
    }
}

/// Owns one libarchive handle (`struct archive *`) for reading or writing.
final class ArchiveHandle {
    let pointer: OpaquePointer
    let name: String
    private let isReader: Bool

    init(reader name: String) throws(ArchiveError) {
        guard let handle = archive_read_new() else { throw ArchiveError(archive: name, entry: nil, reason: "out of memory") }
        pointer = handle
        self.name = name
        isReader = true
    }

    init(writer name: String) throws(ArchiveError) {
        guard let handle = archive_write_new() else { throw ArchiveError(archive: name, entry: nil, reason: "out of memory") }
        pointer = handle
        self.name = name
        isReader = false
    }

    init(diskWriter name: String) throws(ArchiveError) {
        guard let handle = archive_write_disk_new() else { throw ArchiveError(archive: name, entry: nil, reason: "out of memory") }
        pointer = handle
        self.name = name
        isReader = false
    }

    deinit {
        if isReader { archive_read_free(pointer) } else { archive_write_free(pointer) }
    }

    /// libarchive's message for the last error of this handle.
    var errorString: String {
        archive_error_string(pointer).map { String(cString: $0) } ?? "unknown libarchive error"
    }

    /// Every libarchive return code passes here: anything below ARCHIVE_WARN throws.
    @discardableResult
    func check(_ code: Int32, entry: String? = nil, _ doing: String) throws(ArchiveError) -> Int32 {
        if code >= ARCHIVE_WARN { return code }
        throw ArchiveError(archive: name, entry: entry, reason: "\(doing): \(errorString)")
    }
}
