import CStrataSpawn
import Glibc
import SystemPackage

/// Whole-tree operations on directories: copy, remove, create safely inside a root.
public enum FileTree {
    /// Copies `source` (a directory) to `destination`, which must not exist.
    /// Keeps modes (setuid included), times, hard links, symlinks, device
    /// nodes, fifos and extended attributes; ownership too, unless `owner`
    /// names the uid/gid every copy should get instead. Never follows symlinks.
    /// With `artifacts` (what a build hands out of its root), device nodes,
    /// fifos and sockets are left out and setuid/setgid bits dropped.
    public static func copy(
        from source: String, to destination: String, owner: IsolatedCommand.Identity? = nil, artifacts: Bool = false,
        image: Bool = false
    ) throws(SystemError) {
        var copier = TreeCopier(owner: owner, artifacts: artifacts, image: image)
        try copier.copy(source, to: destination)
    }

    /// Removes a tree the way `rm -rf --one-file-system` would, and refuses to
    /// start when anything is mounted at or below it. Walks through
    /// descriptors (`DirectoryWalk`), so neither depth, long names nor
    /// mode 000 can leave part of it behind.
    public static func remove(_ path: String) throws(SystemError) {
        guard let top = try FileStatus.ifExists(path) else { return }
        if let mount = try MountTable.entries(under: path).first {
            throw SystemError("refuse to remove a tree with a mount inside (\(mount.target))", path: path, errno: EBUSY)
        }
        let walk = DirectoryWalk(top: path, sorted: false)
        while true {
            if let name = walk.next() {
                let status = try walk.status(of: name)
                if status.kind == .directory {
                    if status.device != top.device {
                        throw SystemError("refuse to remove across file systems", path: walk.path(of: name), errno: EXDEV)
                    }
                    try enterToEmpty(name, status: status, walk: walk)
                } else {
                    try walk.directory.remove(name, directory: false, path: walk.path(of: name))
                }
            } else if let finished = try walk.ascend() {
                try walk.directory.remove(finished.name, directory: true, path: walk.path(of: finished.name))
            } else {
                return
            }
        }
    }

    /// Enters a directory to be emptied, first giving its owner rwx: one
    /// without write or search permission (an overlay work dir is mode 000)
    /// can't be emptied, and without read permission not even opened but by root.
    private static func enterToEmpty(_ name: EntryName, status: FileStatus, walk: DirectoryWalk) throws(SystemError) {
        guard status.permissions & 0o700 != 0o700 else { return try walk.descend(into: name, status: status) }
        do {
            try walk.descend(into: name, status: status)
        } catch let error where error.errno.rawValue == EACCES {
            try walk.directory.changeMode(of: name, to: 0o700, path: walk.path(of: name))
            return try walk.descend(into: name, status: status)
        }
        try walk.directory.changeMode(to: 0o700, path: walk.path())
    }

    /// Creates `path` and its missing parents below `root` (a store directory,
    /// or an archive's extraction directory), refusing to pass through a
    /// symlink. Paths inside a build root go through `RootPath` instead.
    @discardableResult
    public static func makeDirectories(
        inside root: String, path: String, mode: mode_t = 0o755, created: ((String) -> Void)? = nil
    ) throws(SystemError) -> String {
        var current = root
        for component in path.split(separator: "/") where component != "." {
            if component == ".." {
                throw SystemError("refuse a path with '..'", path: path, errno: EINVAL)
            }
            current += "/" + component
            if let status = try FileStatus.ifExists(current) {
                guard status.kind == .directory else {
                    throw SystemError("expected a directory (found a \(status.kind.rawValue))", path: current, errno: ENOTDIR)
                }
            } else if mkdir(current, mode) == 0 {
                created?(current)
            } else if errno != EEXIST {
                throw SystemError("create directory", path: current)
            }
        }
        return current
    }

    /// Creates an empty regular file (a bind-mount target) if nothing is there.
    public static func makeEmptyFile(_ path: String, mode: mode_t = 0o644) throws(SystemError) {
        let file = try FileDescriptor.opening(path, .writeOnly, options: [.create, .noFollow],
                                              permissions: FilePermissions(rawValue: mode), operation: "create file")
        try? file.close()
    }

    /// Writes `bytes` to a new file at `path`, replacing any file there.
    public static func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644, sync: Bool = false) throws(SystemError) {
        try FileDescriptor.opening(path, .writeOnly, options: [.create, .truncate, .noFollow],
                                   permissions: FilePermissions(rawValue: mode), operation: "create file")
            .closing { file throws(SystemError) in
                let written = bytes.withUnsafeBytes { raw in
                    Result { () throws(SystemError) in try FileChunks.writeAll(raw, to: file.rawValue, path: path) }
                }
                try written.get()
                if sync && fsync(file.rawValue) != 0 { throw SystemError("fsync", path: path) }
            }
    }

    /// The whole content of a regular file.
    public static func readFile(_ path: String) throws(SystemError) -> [UInt8] {
        var result: [UInt8] = []
        try FileChunks.forEach(in: path) { chunk in result.append(contentsOf: chunk) }
        return result
    }

    /// Flushes the file system that holds `path` (syncfs(2)).
    public static func syncFileSystem(of path: String) throws(SystemError) {
        try FileDescriptor.opening(path, .readOnly).closing { file throws(SystemError) in
            if strata_syncfs(file.rawValue) != 0 { throw SystemError("syncfs", path: path) }
        }
    }

    /// fsync(2) on a directory, so that a rename or a new entry in it is durable.
    public static func syncDirectory(_ path: String) throws(SystemError) {
        try FileDescriptor.opening(path, .readOnly, options: .directory).closing { file throws(SystemError) in
            if fsync(file.rawValue) != 0 { throw SystemError("fsync", path: path) }
        }
    }

    /// rename(2), refusing to replace an existing directory.
    public static func rename(_ from: String, to: String) throws(SystemError) {
        if Glibc.rename(from, to) != 0 { throw SystemError("rename \(from) to", path: to) }
    }
}

extension FileTree {
    /// A character device node with exactly `mode` permissions.
    public static func makeCharacterDevice(_ path: String, major: UInt32, minor: UInt32, mode: mode_t) throws(SystemError) {
        if mknod(path, S_IFCHR | mode, strata_makedev(major, minor)) != 0 { throw SystemError("create device", path: path) }
        if chmod(path, mode) != 0 { throw SystemError("change mode", path: path) }
    }

    public static func makeSymlink(_ path: String, pointingTo target: String) throws(SystemError) {
        if symlink(target, path) != 0 { throw SystemError("create symlink", path: path) }
    }

    public static func changeOwner(_ path: String, to owner: IsolatedCommand.Identity) throws(SystemError) {
        if lchown(path, owner.uid, owner.gid) != 0 { throw SystemError("change owner", path: path) }
    }
}
