import CArchive
import CStrataSpawn
import Glibc

/// Writes a directory tree as a pax tar archive, compressed with zstd, gzip
/// or nothing. Reproducible: entries sorted by path, hard links as links,
/// no access or change times, so the same tree gives the same bytes.
///
/// As an OCI layer (`.ociLayer`) the tree is an overlay upper: whiteouts
/// become `.wh.NAME` files, opaque directories get a `.wh..wh..opq` file,
/// overlay attributes are left out, and what an OCI layer cannot carry
/// faithfully (other device nodes, names that look like whiteouts,
/// redirect or metacopy attributes) is refused, naming the path.
public struct ArchiveExporter {
    public enum Compression: String, Sendable, CaseIterable {
        case zstd, gzip, none
    }

    public enum Layout: Sendable {
        /// Every entry as it is on disk.
        case tree
        /// An overlay upper directory as an OCI image layer.
        case ociLayer
    }

    public let compression: Compression
    public let layout: Layout

    public init(compression: Compression, layout: Layout = .tree) {
        self.compression = compression
        self.layout = layout
    }

    /// Writes `directory` to `path` ("-" is standard output); returns the
    /// digests of what was written. Walks through descriptors
    /// (`DirectoryWalk`): any depth, any name length. `onEntry` learns the
    /// entries and file bytes written so far, after each entry.
    @discardableResult
    public func export(_ directory: String, to path: String,
                       onEntry: (ArchiveImporter.Progress) -> Void = { _ in }) throws(ArchiveError) -> ArchiveDigests {
        let fd = path == "-" ? 1 : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw ArchiveError(archive: path, entry: nil, reason: SystemError("create", path: path).description) }
        defer { if fd != 1 { close(fd) } }
        let output = try ArchiveOutput(fd: fd, name: path == "-" ? "standard output" : path, compression: compression)
        var linked: [[UInt64]: String] = [:]
        // The archive path of each directory entered: ".", then "a", "a/b".
        var entered: [String] = []
        let walk = DirectoryWalk(top: directory, sorted: true)
        var progress = ArchiveImporter.Progress(entries: 0, bytes: 0)
        while true {
            if let name = walk.next() {
                let relative = entered.last.map { $0 == "." ? name.text : $0 + "/" + name.text } ?? "."
                var written: UInt64 = 0
                if try write(name, relative: relative, walk: walk, writer: output.tar, linked: &linked, bytes: &written) {
                    entered.append(relative)
                }
                progress.entries += 1
                progress.bytes += written
                onEntry(progress)
            } else {
                let left: DirectoryWalk.Finished?
                do { left = try walk.ascend() } catch {
                    throw ArchiveError(archive: output.tar.name, entry: entered.last, reason: error.description)
                }
                if left == nil { break }
                entered.removeLast()
            }
        }
        return try output.finish()
    }

    /// Writes the entry `name` of the walk's directory; true when it is a
    /// directory the walk entered, whose entries come next.
    private func write(
        _ name: EntryName, relative: String, walk: DirectoryWalk, writer: ArchiveHandle, linked: inout [[UInt64]: String],
        bytes: inout UInt64
    ) throws(ArchiveError) -> Bool {
        let status: FileStatus
        var attributes: [(name: String, value: [UInt8])]
        do {
            status = try walk.status(of: name)
            switch status.kind {
            case .directory:
                try walk.descend(into: name, status: status)
                attributes = try ExtendedAttributes.read(descriptor: walk.directory.fd, path: walk.path())
            case .regular:
                attributes = try walk.directory.withFile(name, flags: O_RDONLY | O_NOFOLLOW | O_CLOEXEC, path: walk.path(of: name)) {
                    (file) throws(SystemError) in try ExtendedAttributes.read(descriptor: file, path: walk.path(of: name))
                }
            default:
                attributes = try ExtendedAttributes.read(entry: walk.directory.attributePath(of: name), path: walk.path(of: name))
            }
        } catch {
            throw ArchiveError(archive: writer.name, entry: relative, reason: error.description)
        }
        var opaque = false
        if layout == .ociLayer {
            if status.kind == .characterDevice && status.deviceNumber == 0 {
                try writeMarker(OverlayWhiteout.ociPrefix + lastComponent(relative), beside: relative, status: status, writer: writer)
                return false
            }
            try refuseUnshareable(relative, status: status, attributes: attributes, writer: writer)
            opaque = attributes.contains { OverlayWhiteout.isOpaqueAttribute($0.name) && $0.value == Array("y".utf8) }
            attributes.removeAll { OverlayWhiteout.isOverlayAttribute($0.name) }
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
            case .symlink:
                let target = try walk.directory.readLink(name, path: walk.path(of: name))
                archive_entry_set_symlink(entry, String(decoding: target, as: UTF8.self))
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
        } catch {
            throw ArchiveError(archive: writer.name, entry: relative, reason: error.description)
        }
        for (name, value) in attributes {
            value.withUnsafeBytes { archive_entry_xattr_add_entry(entry, name, $0.baseAddress, $0.count) }
        }
        try writer.check(archive_write_header(writer.pointer, entry), entry: relative, "write header")
        if hasData {
            try writeData(name, in: walk, relative: relative, writer: writer)
            bytes = UInt64(status.size)
        }
        if status.kind == .directory && opaque {
            try writeMarker(OverlayWhiteout.ociOpaqueMarker, inside: relative, status: status, writer: writer)
        }
        return status.kind == .directory
    }

    /// What an OCI layer cannot carry, or what strata's own import refuses.
    private func refuseUnshareable(
        _ relative: String, status: FileStatus, attributes: [(name: String, value: [UInt8])], writer: ArchiveHandle
    ) throws(ArchiveError) {
        if status.kind == .characterDevice || status.kind == .blockDevice {
            throw ArchiveError(archive: writer.name, entry: relative,
                               reason: "is a device node; shared layers carry no device nodes but whiteouts (a pull refuses them), so this layer cannot be exported: remove the node at the end of the install command")
        }
        if lastComponent(relative).hasPrefix(OverlayWhiteout.ociPrefix) {
            throw ArchiveError(archive: writer.name, entry: relative,
                               reason: "its name starts with '\(OverlayWhiteout.ociPrefix)', which an OCI layer reads as a whiteout; this layer cannot be exported: rename or remove it in the install command")
        }
        if let referring = attributes.first(where: { OverlayWhiteout.isReferringAttribute($0.name) }) {
            throw ArchiveError(archive: writer.name, entry: relative,
                               reason: "carries \(referring.name), so its content lives in another layer; this layer cannot be exported on its own")
        }
    }

    /// An empty regular file: an OCI whiteout beside `relative`, or the
    /// opaque marker inside it.
    private func writeMarker(_ name: String, beside relative: String? = nil, inside directory: String? = nil,
                             status: FileStatus, writer: ArchiveHandle) throws(ArchiveError) {
        let parent = directory ?? relative.map(parentPath) ?? "."
        let path = parent == "." ? name : parent + "/" + name
        guard let entry = archive_entry_new() else { throw ArchiveError(archive: writer.name, entry: path, reason: "out of memory") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, path)
        archive_entry_set_filetype(entry, S_IFREG)
        archive_entry_set_perm(entry, 0o644)
        archive_entry_set_size(entry, 0)
        archive_entry_set_mtime(entry, status.raw.st_mtim.tv_sec, status.raw.st_mtim.tv_nsec)
        try writer.check(archive_write_header(writer.pointer, entry), entry: path, "write header")
    }

    private func writeData(_ name: EntryName, in walk: DirectoryWalk, relative: String, writer: ArchiveHandle) throws(ArchiveError) {
        var failure: ArchiveError?
        do {
            try walk.directory.withFile(name, flags: O_RDONLY | O_NOFOLLOW | O_CLOEXEC, path: walk.path(of: name)) { (file) throws(SystemError) in
                try FileChunks.forEach(descriptor: file, path: walk.path(of: name)) { chunk in
                    if failure == nil, archive_write_data(writer.pointer, chunk.baseAddress, chunk.count) < 0 {
                        failure = ArchiveError(archive: writer.name, entry: relative, reason: "write data: \(writer.errorString)")
                    }
                }
            }
        } catch {
            throw ArchiveError(archive: writer.name, entry: relative, reason: error.description)
        }
        if let failure { throw failure }
    }
}

func lastComponent(_ relative: String) -> String {
    relative.split(separator: "/").last.map(String.init) ?? relative
}

func parentPath(_ relative: String) -> String {
    guard let slash = relative.lastIndex(of: "/") else { return "." }
    return String(relative[..<slash])
}
