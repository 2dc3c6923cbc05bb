import CArchive
import Glibc

/// Extracts a tar archive (plain, gzip, xz, zstd, bzip2, detected from its
/// content) into a directory with libarchive, keeping owners (numeric ids),
/// modes, times, hard links, symlinks, device nodes, ACLs and extended
/// attributes. Refuses, naming the entry: absolute paths, '..', paths through
/// a symlink, and overlayfs's own extended attributes.
///
/// An OCI layer (`.ociLayer`) is untrusted content bound for an overlay
/// upper: `.wh.NAME` files become whiteouts, `.wh..wh..opq` makes its
/// directory opaque, and device nodes other than whiteouts are refused.
public struct ArchiveImporter {
    public enum Layout: Sendable {
        /// A root file system, device nodes included but those below its dev/ (`ImageDevices`).
        case tree
        /// An OCI image layer, extracted as an overlay upper.
        case ociLayer
    }

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
        /// For an OCI layer, once the whole archive was read.
        public var digests: ArchiveDigests?
    }

    public let source: Source
    public let layout: Layout
    /// The form an OCI layer's opaque directories take: the store's.
    public let overlayAttributes: OverlayAttributes
    /// False in a user namespace, where no device node can be made: a root
    /// file system's device nodes outside its dev/ are refused, naming them.
    public let canCreateDevices: Bool

    public init(source: Source, layout: Layout = .tree, overlayAttributes: OverlayAttributes = .trusted,
                canCreateDevices: Bool = true) {
        self.source = source
        self.layout = layout
        self.overlayAttributes = overlayAttributes
        self.canCreateDevices = canCreateDevices
    }

    /// Extracts everything into `directory` (which must exist and be empty).
    /// `onEntry` is called after each entry; returning false stops the import.
    @discardableResult
    public func extract(into directory: String, onEntry: (Progress) -> Bool = { _ in true }) throws(ArchiveError) -> Progress {
        let fd: Int32
        switch source {
        case .file(let path):
            fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 { throw ArchiveError(archive: path, entry: nil, reason: SystemError("open", path: path).description) }
        case .standardInput: fd = 0
        }
        defer { if fd != 0 { close(fd) } }
        // Only a layer's digests are checked; an image gets a content digest of its own (TreeDigest).
        let input = try ArchiveInput(fd: fd, name: source.name, hashing: layout == .ociLayer)
        let reader = input.tar
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
            if status < ARCHIVE_WARN, let failure = input.readFailure {
                throw ArchiveError(archive: source.name, entry: nil, reason: failure)
            }
            try reader.check(status, "read the next entry (after \(progress.entries) entries)")
            guard let entry else { break }
            let path = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
            try vet(entry, path: path, in: directory)
            if layout == .ociLayer, try convertWhiteout(entry, path: path, in: directory) {
                progress.entries += 1
                continue
            }
            let type = archive_entry_filetype(entry)
            if layout == .tree, type == S_IFCHR || type == S_IFBLK {
                if ImageDevices.isUnderDev(path.split(separator: "/").filter { $0 != "." }.map(String.init)) { continue }
                if !canCreateDevices {
                    throw ArchiveError(archive: source.name, entry: path, reason: "is a device node (\(archive_entry_rdevmajor(entry)):\(archive_entry_rdevminor(entry))) outside /dev, which strata cannot create without root; remove it from the archive, or import the image as root")
                }
            }
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
        progress.digests = try input.finish()
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
        let type = archive_entry_filetype(entry)
        if layout == .ociLayer, type == S_IFCHR || type == S_IFBLK {
            let isWhiteout = type == S_IFCHR && archive_entry_rdevmajor(entry) == 0 && archive_entry_rdevminor(entry) == 0
            if !isWhiteout {
                throw ArchiveError(archive: source.name, entry: path,
                                   reason: "is a device node (\(archive_entry_rdevmajor(entry)):\(archive_entry_rdevminor(entry))); a shared layer may carry no device nodes but whiteouts; refused")
            }
        }
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

    /// Turns an OCI whiteout entry into its overlay form; false for any
    /// other entry. A whiteout whose name is already taken in this layer is
    /// dropped: the OCI spec lets a file of the same layer win.
    private func convertWhiteout(_ entry: OpaquePointer, path: String, in directory: String) throws(ArchiveError) -> Bool {
        let name = lastComponent(path)
        let parent = parentPath(path)
        let isOpaque = name == OverlayWhiteout.ociOpaqueMarker
        guard isOpaque || OverlayWhiteout.hiddenName(name) != nil else { return false }
        if archive_entry_filetype(entry) != S_IFREG || archive_entry_hardlink(entry) != nil {
            throw ArchiveError(archive: source.name, entry: path, reason: "a whiteout must be an empty regular file; refused")
        }
        do {
            let parentDirectory = try FileTree.makeDirectories(inside: directory, path: parent)
            if isOpaque {
                try ExtendedAttributes.set(overlayAttributes.opaque, to: Array("y".utf8), on: parentDirectory)
                return true
            }
            let hidden = OverlayWhiteout.hiddenName(name) ?? ""
            if hidden.isEmpty || hidden == "." || hidden == ".." {
                throw ArchiveError(archive: source.name, entry: path, reason: "whiteout of '\(hidden)' refused")
            }
            let target = parentDirectory + "/" + hidden
            if try FileStatus.ifExists(target) == nil {
                // As overlayfs makes them: mode 0, owned by root, and with the time the export recorded.
                try FileTree.makeCharacterDevice(target, major: 0, minor: 0, mode: 0)
                var times = [timespec(tv_sec: archive_entry_mtime(entry), tv_nsec: archive_entry_mtime_nsec(entry))]
                times.append(times[0])
                if utimensat(AT_FDCWD, target, &times, AT_SYMLINK_NOFOLLOW) != 0 {
                    throw SystemError("set times", path: target)
                }
            }
        } catch let error as ArchiveError {
            throw error
        } catch {
            throw ArchiveError(archive: source.name, entry: path, reason: "\(error)")
        }
        return true
    }
}
