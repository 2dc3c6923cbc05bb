import CStrataSpawn
import Glibc

/// One copy of a tree: two `DirectoryWalk`s in step, the source's and the
/// destination's, so both sides are reached through descriptors and one
/// name at a time. Remembers hard links across the tree.
struct TreeCopier {
    let owner: IsolatedCommand.Identity?
    /// For artifacts leaving a root: device nodes, fifos and sockets are left
    /// out, and setuid and setgid bits dropped.
    let artifacts: Bool
    /// For a root file system becoming an image: device nodes below its dev/
    /// are left out (`ImageDevices`).
    let image: Bool
    /// (device, inode) of a multiply-linked source file -> the names leading
    /// to its first copy from the working directory (the destination first).
    private var linked: [InodeKey: [EntryName]] = [:]

    private struct InodeKey: Hashable { let device: UInt64; let inode: UInt64 }

    init(owner: IsolatedCommand.Identity?, artifacts: Bool = false, image: Bool = false) {
        self.owner = owner
        self.artifacts = artifacts
        self.image = image
    }

    /// The permission bits a copy gets.
    private func mode(_ status: FileStatus) -> mode_t {
        artifacts ? status.permissions & ~mode_t(0o6000) : status.permissions
    }

    mutating func copy(_ source: String, to destination: String) throws(SystemError) {
        let from = DirectoryWalk(top: source, sorted: true)
        let to = DirectoryWalk(top: destination, sorted: false)
        while true {
            if let name = from.next() {
                try copyEntry(name, from: from, as: from.depth == 0 ? EntryName(destination) : name, to: to)
            } else if let finished = try from.ascend() {
                guard let made = try to.ascend() else {
                    throw SystemError("copy: destination walk out of step", path: destination, errno: EINVAL)
                }
                // A directory gets its attributes, owner, mode and times once it is full.
                let attributes = try ExtendedAttributes.read(descriptor: finished.descriptor.fd, path: from.path(of: finished.name))
                for (attribute, value) in attributes {
                    try ExtendedAttributes.set(attribute, to: value, descriptor: made.descriptor.fd, path: to.path(of: made.name))
                }
                try applyMetadata(finished.status, descriptor: made.descriptor.fd, path: to.path(of: made.name))
            } else {
                return
            }
        }
    }

    private mutating func copyEntry(_ name: EntryName, from: DirectoryWalk, as copy: EntryName, to: DirectoryWalk) throws(SystemError) {
        let status = try from.status(of: name)
        let path = to.path(of: copy)
        switch status.kind {
        case .directory:
            try to.directory.makeDirectory(copy, mode: 0o700, path: path)
            try from.descend(into: name, status: status)
            try to.descend(into: copy, status: nil, listing: false)
        case .regular:
            let key = InodeKey(device: status.device, inode: status.inode)
            if status.linkCount > 1, let first = linked[key] {
                return try link(first, as: copy, in: to.directory, path: path)
            }
            try from.directory.withFile(name, flags: O_RDONLY | O_NOFOLLOW | O_CLOEXEC, path: from.path(of: name)) {
                (input) throws(SystemError) in
                let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
                try to.directory.withFile(copy, flags: flags, mode: 0o600, path: path) { (output) throws(SystemError) in
                    try copyContent(input, to: output, path: path)
                    for (attribute, value) in try ExtendedAttributes.read(descriptor: input, path: from.path(of: name)) {
                        try ExtendedAttributes.set(attribute, to: value, descriptor: output, path: path)
                    }
                    try applyMetadata(status, descriptor: output, path: path)
                }
            }
            if status.linkCount > 1 { linked[key] = [EntryName(to.top)] + to.namesBelowTop + [copy] }
        case .symlink:
            let target = try from.directory.readLink(name, path: from.path(of: name))
            let made = symlinkat(target.map { CChar(bitPattern: $0) } + [0], to.directory.fd, copy.cString)
            if made != 0 { throw SystemError("create symlink", path: path) }
            try copyAttributes(name, from: from, as: copy, to: to)
            try applyMetadata(status, entry: copy, in: to.directory, path: path)
        case .characterDevice, .blockDevice, .fifo, .socket:
            if artifacts { return }
            if image, status.kind == .characterDevice || status.kind == .blockDevice,
               ImageDevices.isUnderDev(from.namesBelowTop.map(\.text) + [name.text]) { return }
            if mknodat(to.directory.fd, copy.cString, status.raw.st_mode, status.raw.st_rdev) != 0 {
                throw SystemError("create \(status.kind.rawValue)", path: path)
            }
            try copyAttributes(name, from: from, as: copy, to: to)
            try applyMetadata(status, entry: copy, in: to.directory, path: path)
        }
    }

    /// A hard link to the first copy, named by `first` from the working
    /// directory. Those names lead through directories this copy made, so
    /// they are joined into paths of up to 2 KiB (usually one), each opened
    /// from the last.
    private func link(_ first: [EntryName], as copy: EntryName, in directory: DirectoryDescriptor, path: String) throws(SystemError) {
        var base = DirectoryDescriptor.workingDirectory()
        var start = 0
        while true {
            var end = start
            var length = 0
            while end < first.count - 1 && (end == start || length + first[end].byteCount < 2048) {
                length += first[end].byteCount + 1
                end += 1
            }
            if end == first.count - 1 && length + first[end].byteCount < 2048 {
                let existing = EntryName(joining: first[start...])
                if linkat(base.fd, existing.cString, directory.fd, copy.cString, 0) != 0 {
                    throw SystemError("hard-link to its first copy", path: path)
                }
                return
            }
            base = try base.openDirectory(EntryName(joining: first[start..<end]), path: path)
            start = end
        }
    }

    private func copyContent(_ input: Int32, to output: Int32, path: String) throws(SystemError) {
        // copy_file_range shares extents where the file system can; it is
        // refused across some file systems, and then plain reads and writes do.
        while true {
            let copied = strata_copy_file_range(input, output, 1 << 30)
            if copied > 0 { continue }
            if copied == 0 { return }
            if errno == EINTR { continue }
            if [EXDEV, EINVAL, ENOSYS, EOPNOTSUPP].contains(errno) { break }
            throw SystemError("copy", path: path)
        }
        try FileChunks.forEach(descriptor: input, path: path) { (chunk) throws(SystemError) in
            try FileChunks.writeAll(chunk, to: output, path: path)
        }
    }

    /// Of an entry that cannot be opened (symlink, device node, fifo,
    /// socket): through /proc/self/fd/N/NAME on both sides.
    private func copyAttributes(_ name: EntryName, from: DirectoryWalk, as copy: EntryName, to: DirectoryWalk) throws(SystemError) {
        let attributes = try ExtendedAttributes.read(entry: from.directory.attributePath(of: name), path: from.path(of: name))
        for (attribute, value) in attributes {
            try ExtendedAttributes.set(attribute, to: value, entry: to.directory.attributePath(of: copy), path: to.path(of: copy))
        }
    }

    /// Owner, then mode (chown clears setuid and setgid), then times.
    private func applyMetadata(_ status: FileStatus, descriptor fd: Int32, path: String) throws(SystemError) {
        if fchown(fd, owner?.uid ?? status.uid, owner?.gid ?? status.gid) != 0 { throw SystemError("change owner", path: path) }
        if fchmod(fd, mode(status)) != 0 { throw SystemError("change mode", path: path) }
        var times = [status.raw.st_atim, status.raw.st_mtim]
        if futimens(fd, &times) != 0 { throw SystemError("set times", path: path) }
    }

    /// The same by name, without following a symlink; symlinks have no mode of their own.
    private func applyMetadata(_ status: FileStatus, entry name: EntryName, in directory: DirectoryDescriptor, path: String) throws(SystemError) {
        let uid = owner?.uid ?? status.uid
        let gid = owner?.gid ?? status.gid
        if fchownat(directory.fd, name.cString, uid, gid, AT_SYMLINK_NOFOLLOW) != 0 { throw SystemError("change owner", path: path) }
        if status.kind != .symlink {
            try directory.changeMode(of: name, to: mode(status), path: path)
        }
        var times = [status.raw.st_atim, status.raw.st_mtim]
        if utimensat(directory.fd, name.cString, &times, AT_SYMLINK_NOFOLLOW) != 0 { throw SystemError("set times", path: path) }
    }
}
