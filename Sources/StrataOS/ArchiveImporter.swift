import CArchive
import Glibc

/// Extracts a tar archive (plain, gzip, xz, zstd, bzip2, detected from its
/// content) into a directory with libarchive, keeping owners (numeric ids),
/// modes, times, hard links, symlinks, device nodes, ACLs and extended
/// attributes. Refuses, naming the entry: absolute paths, '..', paths through
/// a symlink, and overlayfs's own extended attributes.
public struct ArchiveImporter {
    public enum Source: Sendable {
        case file(String)
        case standardInput

        var name: String {
            switch self {
            case .file(let path): path
            case .standardInput: "standard input"
            }
        }
    }

    public struct Progress: Sendable {
        public var entries: Int
        public var bytes: UInt64
    }

    public let source: Source

    public init(source: Source) { self.source = source }

    /// Extracts everything into `directory` (which must exist and be empty).
    /// `onEntry` is called after each entry; returning false stops the import.
    @discardableResult
    public func extract(into directory: String, onEntry: (Progress) -> Bool = { _ in true }) throws(ArchiveError) -> Progress {
        let reader = try ArchiveHandle(reader: source.name)
        try reader.check(archive_read_support_filter_all(reader.pointer), "enable decompression")
        try reader.check(archive_read_support_format_tar(reader.pointer), "enable the tar format")
        switch source {
        case .file(let path): try reader.check(archive_read_open_filename(reader.pointer, path, 1 << 17), "open")
        case .standardInput: try reader.check(archive_read_open_fd(reader.pointer, 0, 1 << 17), "open")
        }
        let writer = try ArchiveHandle(diskWriter: directory)
        let flags = ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR
            | ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_FFLAGS | ARCHIVE_EXTRACT_SECURE_SYMLINKS
            | ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS
        try writer.check(archive_write_disk_set_options(writer.pointer, flags), "set extraction options")

        // archive_write_disk resolves entry paths against the working
        // directory; strata is single-threaded here, and the old one comes back.
        let previous = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard previous >= 0, chdir(directory) == 0 else {
            if previous >= 0 { close(previous) }
            throw ArchiveError(archive: source.name, entry: nil, reason: "cannot enter \(directory): \(SystemError("chdir").errno)")
        }
        defer {
            _ = fchdir(previous)
            close(previous)
        }

        var progress = Progress(entries: 0, bytes: 0)
        // libarchive restores the times of every directory but the one it
        // extracts into: the "." entry's times are applied at the end.
        var rootTimes: [timespec]?
        var entry: OpaquePointer?
        while true {
            let status = archive_read_next_header(reader.pointer, &entry)
            if status == ARCHIVE_EOF { break }
            try reader.check(status, "read the next entry (after \(progress.entries) entries)")
            guard let entry else { break }
            let path = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
            try vet(entry, path: path, in: directory)
            if path.split(separator: "/").allSatisfy({ $0 == "." }) {
                rootTimes = [timespec(tv_sec: archive_entry_atime(entry), tv_nsec: archive_entry_atime_nsec(entry)),
                             timespec(tv_sec: archive_entry_mtime(entry), tv_nsec: archive_entry_mtime_nsec(entry))]
                if archive_entry_atime_is_set(entry) == 0, let times = rootTimes { rootTimes = [times[1], times[1]] }
            }
            try writer.check(archive_write_header(writer.pointer, entry), entry: path, "write")
            if archive_entry_size(entry) > 0 {
                try copyData(from: reader, to: writer, entry: path)
            }
            try writer.check(archive_write_finish_entry(writer.pointer), entry: path, "finish")
            progress.entries += 1
            progress.bytes += UInt64(max(0, archive_entry_size(entry)))
            if !onEntry(progress) {
                throw ArchiveError(archive: source.name, entry: path, reason: "interrupted")
            }
        }
        try writer.check(archive_write_close(writer.pointer), "finish the extraction")
        if var times = rootTimes, utimensat(AT_FDCWD, directory, &times, 0) != 0 {
            throw ArchiveError(archive: source.name, entry: ".", reason: SystemError("set times", path: directory).description)
        }
        return progress
    }

    private func copyData(from reader: ArchiveHandle, to writer: ArchiveHandle, entry: String) throws(ArchiveError) {
        var buffer: UnsafeRawPointer?
        var size = 0
        var offset: Int64 = 0
        while true {
            let status = archive_read_data_block(reader.pointer, &buffer, &size, &offset)
            if status == ARCHIVE_EOF { return }
            try reader.check(status, entry: entry, "read data")
            let written = archive_write_data_block(writer.pointer, buffer, size, offset)
            if written < ARCHIVE_WARN { try writer.check(Int32(written), entry: entry, "write data") }
        }
    }

    /// Our own checks, before libarchive's: they name the problem precisely.
    private func vet(_ entry: OpaquePointer, path: String, in directory: String) throws(ArchiveError) {
        try vetPath(path, entry: path, in: directory)
        if let target = archive_entry_hardlink(entry).map({ String(cString: $0) }) {
            try vetPath(target, entry: path, in: directory, what: "hard-link target")
        }
        archive_entry_xattr_reset(entry)
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK {
            let attribute = name.map { String(cString: $0) } ?? ""
            if attribute.hasPrefix("trusted.overlay.") || attribute.hasPrefix("user.overlay.") {
                throw ArchiveError(archive: source.name, entry: path,
                                   reason: "carries the overlayfs attribute \(attribute), which would change what overlay mounts show; refused")
            }
        }
    }

    private func vetPath(_ path: String, entry: String, in directory: String, what: String = "path") throws(ArchiveError) {
        if path.hasPrefix("/") {
            throw ArchiveError(archive: source.name, entry: entry, reason: "absolute \(what) '\(path)' refused")
        }
        let components = path.split(separator: "/").filter { $0 != "." }
        if components.contains("..") {
            throw ArchiveError(archive: source.name, entry: entry, reason: "\(what) '\(path)' contains '..'; refused")
        }
        var current = directory
        for component in components.dropLast() {
            current += "/" + component
            if let status = try? FileStatus.ifExists(current), status.kind == .symlink {
                throw ArchiveError(archive: source.name, entry: entry,
                                   reason: "\(what) '\(path)' goes through the symlink '\(current.dropFirst(directory.count + 1))'; refused")
            }
        }
    }
}
