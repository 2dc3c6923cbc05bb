import CStrataSpawn
import Glibc

/// One recursive copy; remembers hard links across the tree.
struct TreeCopier {
    let owner: IsolatedCommand.Identity?
    /// (device, inode) of a multiply-linked source file -> its first copy.
    private var linked: [InodeKey: String] = [:]

    private struct InodeKey: Hashable { let device: UInt64; let inode: UInt64 }

    init(owner: IsolatedCommand.Identity?) { self.owner = owner }

    mutating func copy(_ source: String, to destination: String) throws(SystemError) {
        let status = try FileStatus(path: source)
        switch status.kind {
        case .directory:
            if mkdir(destination, 0o700) != 0 { throw SystemError("create directory", path: destination) }
            for name in try directoryEntries(source) {
                try copy(source + "/" + name, to: destination + "/" + name)
            }
        case .regular:
            let key = InodeKey(device: status.device, inode: status.inode)
            if status.linkCount > 1, let first = linked[key] {
                if link(first, destination) != 0 { throw SystemError("hard-link \(first) to", path: destination) }
                return
            }
            try copyContent(source, to: destination)
            if status.linkCount > 1 { linked[key] = destination }
        case .symlink:
            let target = try readSymlink(source)
            if symlink(target, destination) != 0 { throw SystemError("create symlink", path: destination) }
        case .characterDevice, .blockDevice, .fifo, .socket:
            if mknod(destination, status.raw.st_mode, status.raw.st_rdev) != 0 {
                throw SystemError("create \(status.kind.rawValue)", path: destination)
            }
        }
        try copyExtendedAttributes(source, to: destination)
        try applyMetadata(status, to: destination)
    }

    private func copyContent(_ source: String, to destination: String) throws(SystemError) {
        let input = open(source, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        if input < 0 { throw SystemError("open", path: source) }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if output < 0 { throw SystemError("create", path: destination) }
        defer { close(output) }
        // copy_file_range shares extents where the file system can; it is
        // refused across some file systems, and then plain reads and writes do.
        while true {
            let copied = strata_copy_file_range(input, output, 1 << 30)
            if copied > 0 { continue }
            if copied == 0 { return }
            if errno == EINTR { continue }
            if [EXDEV, EINVAL, ENOSYS, EOPNOTSUPP].contains(errno) { break }
            throw SystemError("copy", path: destination)
        }
        try FileChunks.forEach(descriptor: input, path: source) { (chunk) throws(SystemError) in
            try FileChunks.writeAll(chunk, to: output, path: destination)
        }
    }

    private func applyMetadata(_ status: FileStatus, to destination: String) throws(SystemError) {
        let uid = owner?.uid ?? status.uid
        let gid = owner?.gid ?? status.gid
        if lchown(destination, uid, gid) != 0 { throw SystemError("change owner", path: destination) }
        // chown clears setuid/setgid, so the mode comes after it; symlinks have no mode of their own.
        if status.kind != .symlink && chmod(destination, status.permissions) != 0 {
            throw SystemError("change mode", path: destination)
        }
        var times = [status.raw.st_atim, status.raw.st_mtim]
        if utimensat(AT_FDCWD, destination, &times, AT_SYMLINK_NOFOLLOW) != 0 {
            throw SystemError("set times", path: destination)
        }
    }

    private func copyExtendedAttributes(_ source: String, to destination: String) throws(SystemError) {
        for (name, value) in try ExtendedAttributes.read(source) {
            let result = value.withUnsafeBytes { lsetxattr(destination, name, $0.baseAddress, $0.count, 0) }
            if result != 0 { throw SystemError("set extended attribute \(name)", path: destination) }
        }
    }
}

func readSymlink(_ path: String) throws(SystemError) -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink(path, &buffer, buffer.count - 1)
    if length < 0 { throw SystemError("read symlink", path: path) }
    return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
