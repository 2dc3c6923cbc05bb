import CArchive
import Glibc

/// Writes a directory tree as a pax tar archive, compressed with zstd, gzip
/// or nothing. Reproducible: entries sorted by path, hard links as links,
/// no access or change times, so the same tree gives the same bytes.
public struct ArchiveExporter {
    public enum Compression: String, Sendable, CaseIterable {
        case zstd, gzip, none
    }

    public let compression: Compression

    public init(compression: Compression) { self.compression = compression }

    /// Writes `directory` to `path`; "-" is standard output.
    public func export(_ directory: String, to path: String) throws(ArchiveError) {
        let writer = try ArchiveHandle(writer: path)
        try writer.check(archive_write_set_format_pax_restricted(writer.pointer), "set the pax format")
        switch compression {
        case .zstd: try writer.check(archive_write_add_filter_zstd(writer.pointer), "enable zstd")
        case .gzip:
            try writer.check(archive_write_add_filter_gzip(writer.pointer), "enable gzip")
            // No name or time in the gzip header: same input, same bytes.
            try writer.check(archive_write_set_filter_option(writer.pointer, "gzip", "timestamp", nil), "set gzip options")
        case .none: try writer.check(archive_write_add_filter_none(writer.pointer), "disable compression")
        }
        if path == "-" {
            try writer.check(archive_write_open_fd(writer.pointer, 1), "open standard output")
        } else {
            try writer.check(archive_write_open_filename(writer.pointer, path), "create")
        }
        var linked: [[UInt64]: String] = [:]
        try write(directory, relative: ".", writer: writer, linked: &linked)
        try writer.check(archive_write_close(writer.pointer), "finish")
    }

    private func write(_ path: String, relative: String, writer: ArchiveHandle, linked: inout [[UInt64]: String]) throws(ArchiveError) {
        let status: FileStatus
        do { status = try FileStatus(path: path) } catch {
            throw ArchiveError(archive: writer.name, entry: relative, reason: error.description)
        }
        guard let entry = archive_entry_new() else { throw ArchiveError(archive: writer.name, entry: relative, reason: "out of memory") }
        defer { archive_entry_free(entry) }
        var raw = status.raw
        archive_entry_copy_stat(entry, &raw)
        archive_entry_unset_atime(entry)
        archive_entry_unset_ctime(entry)
        archive_entry_unset_birthtime(entry)
        archive_entry_set_pathname(entry, relative)
        var hasData = status.kind == .regular && status.size > 0
        do {
            switch status.kind {
            case .symlink: archive_entry_set_symlink(entry, try readSymlink(path))
            case .regular where status.linkCount > 1:
                let identity = [status.device, status.inode]
                if let first = linked[identity] {
                    archive_entry_set_hardlink(entry, first)
                    archive_entry_set_size(entry, 0)
                    hasData = false
                } else {
                    linked[identity] = relative
                }
            default: break
            }
            for (name, value) in try ExtendedAttributes.read(path) {
                value.withUnsafeBytes { archive_entry_xattr_add_entry(entry, name, $0.baseAddress, $0.count) }
            }
        } catch {
            throw ArchiveError(archive: writer.name, entry: relative, reason: error.description)
        }
        try writer.check(archive_write_header(writer.pointer, entry), entry: relative, "write header")
        if hasData { try writeData(path, relative: relative, writer: writer) }
        if status.kind == .directory {
            let names: [String]
            do { names = try directoryEntries(path) } catch {
                throw ArchiveError(archive: writer.name, entry: relative, reason: error.description)
            }
            for name in names {
                try write(path + "/" + name, relative: relative == "." ? name : relative + "/" + name, writer: writer, linked: &linked)
            }
        }
    }

    private func writeData(_ path: String, relative: String, writer: ArchiveHandle) throws(ArchiveError) {
        var failure: ArchiveError?
        do {
            try FileChunks.forEach(in: path) { chunk in
                if failure == nil, archive_write_data(writer.pointer, chunk.baseAddress, chunk.count) < 0 {
                    failure = ArchiveError(archive: writer.name, entry: relative, reason: "write data: \(writer.errorString)")
                }
            }
        } catch {
            throw ArchiveError(archive: writer.name, entry: relative, reason: error.description)
        }
        if let failure { throw failure }
    }
}
