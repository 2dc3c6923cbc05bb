import CStrataSpawn
import Glibc

/// What lstat(2) says of one path, as a typed value.
public struct FileStatus: Sendable {
    public enum Kind: String, Sendable {
        case regular, directory, symlink, characterDevice, blockDevice, fifo, socket
    }

    let raw: stat

    public var kind: Kind {
        switch raw.st_mode & S_IFMT {
        case S_IFDIR: .directory
        case S_IFLNK: .symlink
        case S_IFCHR: .characterDevice
        case S_IFBLK: .blockDevice
        case S_IFIFO: .fifo
        case S_IFSOCK: .socket
        default: .regular
        }
    }

    /// Permission bits including setuid, setgid and sticky.
    public var permissions: UInt32 { raw.st_mode & 0o7777 }
    public var uid: UInt32 { raw.st_uid }
    public var gid: UInt32 { raw.st_gid }
    public var size: Int64 { Int64(raw.st_size) }
    public var device: UInt64 { UInt64(raw.st_dev) }
    public var inode: UInt64 { UInt64(raw.st_ino) }
    public var linkCount: UInt64 { UInt64(raw.st_nlink) }
    public var deviceNumber: UInt64 { UInt64(raw.st_rdev) }
    /// 512-byte blocks allocated, as du counts them.
    public var blocks: Int64 { Int64(raw.st_blocks) }

    /// Seconds since the epoch of the last modification.
    public var modificationTime: Int { Int(raw.st_mtim.tv_sec) }

    /// lstat(2): never follows a final symlink.
    public init(path: String) throws(SystemError) {
        var buffer = stat()
        if lstat(path, &buffer) != 0 { throw SystemError("lstat", path: path) }
        raw = buffer
    }

    /// What `path` leads to, a final link followed (stat).
    public init(followingLinks path: String) throws(SystemError) {
        var buffer = stat()
        if stat(path, &buffer) != 0 { throw SystemError("stat", path: path) }
        raw = buffer
    }

    /// nil when nothing exists at `path`.
    public static func ifExists(_ path: String) throws(SystemError) -> FileStatus? {
        var buffer = stat()
        if lstat(path, &buffer) == 0 { return FileStatus(raw: buffer) }
        if errno == ENOENT || errno == ENOTDIR { return nil }
        throw SystemError("lstat", path: path)
    }

    init(raw: stat) { self.raw = raw }
}

/// The names in a directory, sorted, without "." and "..".
public func directoryEntries(_ path: String) throws(SystemError) -> [String] {
    guard let directory = opendir(path) else { throw SystemError("open directory", path: path) }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) {
            String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}

/// The statfs(2) magic number of the file system that holds `path`.
public func fileSystemType(of path: String) throws(SystemError) -> UInt {
    var type = 0
    if strata_file_system_type(path, &type) != 0 { throw SystemError("statfs", path: path) }
    return UInt(bitPattern: type)
}
