import CStrataSpawn
import Glibc

/// A path inside a root, resolved with the root as its boundary. Every
/// symlink on the way, whichever layer planted it, is followed as if the
/// root were `/` (an absolute target starts again at the root, `..` stops
/// there), one component at a time with `openat(STRATA_O_PATH | O_NOFOLLOW)` from a
/// descriptor of the root, so no link can lead outside it. The result is an
/// O_PATH descriptor of the entry: mount onto it (`bind`), or read it, never
/// a path string rebuilt afterwards. This is the one place strata turns a
/// path inside a root into something on the host.
public final class RootPath {
    public enum Creation: Sendable {
        /// Missing components are an error (`resolve` returns nil).
        case none
        /// Missing directories are made, the last one included.
        case directory
        /// Missing parent directories are made, and the last component as an empty file.
        case file
    }

    /// O_PATH descriptor of the entry.
    public let descriptor: Int32
    /// The canonical path inside the root, every link resolved: "/etc/resolv.conf"
    /// may become "/run/systemd/resolve/stub-resolv.conf".
    public let inside: String
    /// The root's host path followed by `inside`: for messages and for
    /// unmounting what was mounted onto `descriptor`.
    public let host: String
    /// Host paths of what resolving created, in the order made.
    public let created: [String]

    private init(descriptor: Int32, inside: String, host: String, created: [String]) {
        self.descriptor = descriptor
        self.inside = inside
        self.host = host
        self.created = created
    }

    deinit { close(descriptor) }

    /// What lstat says of the entry.
    public func status() throws(SystemError) -> FileStatus {
        var buffer = stat()
        if fstat(descriptor, &buffer) != 0 { throw SystemError("fstat", path: host) }
        return FileStatus(raw: buffer)
    }

    /// True when this directory has an entry `name` of any kind (a dangling link too).
    public func hasEntry(_ name: String) throws(SystemError) -> Bool {
        var info = stat()
        if fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 { return true }
        if errno == ENOENT { return false }
        throw SystemError("lstat", path: host + "/" + name)
    }

    /// Binds the host path `source` onto this entry (see `strata_bind_onto`),
    /// its ownership shifted through `userNamespace` when given.
    public func bind(from source: String, readOnly: Bool, mappedThrough userNamespace: UserNamespace? = nil) throws(SystemError) {
        let result = withExtendedLifetime(userNamespace) {
            strata_bind_onto(source, descriptor, readOnly ? 1 : 0, userNamespace?.descriptor ?? -1)
        }
        if result != 0 {
            throw SystemError("bind \(source) onto", path: host)
        }
    }

    /// Mounts a new file system (tmpfs, devpts) onto this entry, through its
    /// /proc/self/fd link, so that the target is the resolved entry itself.
    public func mount(_ mount: Mount) throws(SystemError) {
        var onto = mount
        onto.target = "/proc/self/fd/\(descriptor)"
        try onto.perform()
    }

    /// Resolves `path` (absolute) inside `root`. Returns nil when it does not
    /// exist and `create` is `.none`. Refuses a path that resolves to the
    /// root itself unless `allowRoot`, and more than 40 links. Without
    /// `followingLinks`, any link on the way is refused (ELOOP, naming it):
    /// for the places a profile names (mount targets, output, workdir), where
    /// a link can only have been planted by an image or a layer.
    public static func resolve(
        _ path: String, in root: String, create: Creation = .none, mode: mode_t = 0o755, allowRoot: Bool = false,
        followingLinks: Bool = true
    ) throws(SystemError) -> RootPath? {
        let rootDescriptor = open(root, STRATA_O_PATH | O_DIRECTORY | O_CLOEXEC)
        if rootDescriptor < 0 { throw SystemError("open the root", path: root) }
        var descriptors: [Int32] = [rootDescriptor]
        var names: [String] = []
        var created: [String] = []
        var pending = path.split(separator: "/").map(String.init).reversed().map { $0 }
        var links = 0
        func closeAll() { descriptors.forEach { close($0) } }
        func hostPath(_ extra: String? = nil) -> String {
            root + "/" + (names + (extra.map { [$0] } ?? [])).joined(separator: "/")
        }

        while let name = pending.popLast() {
            if name.isEmpty || name == "." { continue }
            if name == ".." {
                if !names.isEmpty {
                    close(descriptors.removeLast())
                    names.removeLast()
                }
                continue
            }
            let parent = descriptors[descriptors.count - 1]
            let isLast = pending.allSatisfy { $0.isEmpty || $0 == "." }
            var info = stat()
            if fstatat(parent, name, &info, AT_SYMLINK_NOFOLLOW) != 0 {
                let code = errno
                guard code == ENOENT else {
                    closeAll()
                    throw SystemError("lstat", path: hostPath(name), errno: code)
                }
                switch (create, isLast) {
                case (.none, _):
                    closeAll()
                    return nil
                case (.file, true):
                    let made = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0o644)
                    if made < 0 && errno != EEXIST {
                        let failure = SystemError("create file", path: hostPath(name))
                        closeAll()
                        throw failure
                    }
                    if made >= 0 {
                        close(made)
                        created.append(hostPath(name))
                    }
                default:
                    if mkdirat(parent, name, mode) != 0 && errno != EEXIST {
                        let failure = SystemError("create directory", path: hostPath(name))
                        closeAll()
                        throw failure
                    }
                    created.append(hostPath(name))
                }
                pending.append(name)
                continue
            }
            if info.st_mode & S_IFMT == S_IFLNK {
                guard followingLinks else {
                    let target = readLink(parent, name) ?? "?"
                    closeAll()
                    throw SystemError("refuse to follow the link to \(target) (remove it from the image or layer that put it there, or choose another path in the profile) at", path: hostPath(name), errno: ELOOP)
                }
                links += 1
                guard links <= 40, let target = readLink(parent, name) else {
                    closeAll()
                    throw SystemError("resolve the links of", path: root + path, errno: ELOOP)
                }
                if target.hasPrefix("/") {
                    while descriptors.count > 1 { close(descriptors.removeLast()) }
                    names.removeAll()
                }
                pending += target.split(separator: "/").map(String.init).reversed()
                continue
            }
            let isDirectory = info.st_mode & S_IFMT == S_IFDIR
            if !isDirectory && !isLast {
                closeAll()
                throw SystemError("expected a directory", path: hostPath(name), errno: ENOTDIR)
            }
            let next = openat(parent, name, STRATA_O_PATH | O_NOFOLLOW | O_CLOEXEC | (isDirectory ? O_DIRECTORY : 0))
            if next < 0 {
                let failure = SystemError("open", path: hostPath(name))
                closeAll()
                throw failure
            }
            descriptors.append(next)
            names.append(name)
        }
        if names.isEmpty && !allowRoot {
            closeAll()
            throw SystemError("refuse a path that resolves to the root itself", path: root + path, errno: EINVAL)
        }
        let result = descriptors.removeLast()
        closeAll()
        return RootPath(descriptor: result, inside: "/" + names.joined(separator: "/"), host: hostPath(), created: created)
    }

    private static func readLink(_ directory: Int32, _ name: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlinkat(directory, name, &buffer, buffer.count - 1)
        guard length >= 0 else { return nil }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
