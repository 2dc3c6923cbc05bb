import Glibc
import StrataOS

/// One merged root at a mount point: the overlay, then what a build expects
/// inside it (a minimal /dev with its own devpts, tmpfs /tmp, binds), torn
/// down in reverse. proc and sysfs are mounted by each command's own PID and
/// network namespaces (`IsolatedCommand`), so they never appear here.
public final class BuildRoot {
    public let path: String
    private let stack = MountStack()
    /// Directories made only to mount on, so that they can be removed again
    /// and not end up in a layer.
    private var madeMountPoints: [String] = []

    public init(path: String) { self.path = path }

    /// The host path of an absolute path inside the root.
    public func host(_ inside: String) -> String { path + inside }

    public func mountOverlay(lower: [String], upper: String, work: String, volatile: Bool) throws(StrataError) {
        let overlay = Mount.overlay(lower: lower, upper: upper, work: work, target: path, volatile: volatile)
        try during("mount the overlay at \(path)") { try stack.push(overlay) }
    }

    /// /dev, /dev/pts, /dev/shm, /tmp, the proc and sys mount points, and the
    /// host's resolv.conf when the root has one and the network is on.
    public func mountSystem(network: Bool) throws(StrataError) {
        try during("prepare the system mounts in \(path)") {
            for directory in ["/proc", "/sys", "/tmp"] { try FileTree.makeDirectories(inside: path, path: directory) }
            let dev = try FileTree.makeDirectories(inside: path, path: "/dev")
            try stack.push(.deviceTmpfs(at: dev))
            let nodes: [(String, UInt32, UInt32)] = [
                ("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8), ("urandom", 1, 9), ("tty", 5, 0),
            ]
            for (name, major, minor) in nodes {
                try FileTree.makeCharacterDevice(dev + "/" + name, major: major, minor: minor, mode: 0o666)
            }
            let links = [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2"), ("ptmx", "pts/ptmx")]
            for (name, target) in links { try FileTree.makeSymlink(dev + "/" + name, pointingTo: target) }
            for sub in ["pts", "shm"] where mkdir(dev + "/" + sub, 0o755) != 0 {
                throw SystemError("create directory", path: dev + "/" + sub)
            }
            try stack.push(.devpts(at: dev + "/pts"))
            try stack.push(.tmpfs(at: dev + "/shm"))
            try stack.push(.tmpfs(at: host("/tmp")))
            if network, let resolv = try FileTree.resolveInside(root: path, path: "/etc/resolv.conf"),
               try FileStatus(path: resolv).kind == .regular,
               (try? FileStatus.ifExists("/etc/resolv.conf")) != nil {
                try stack.push(.bind("/etc/resolv.conf", to: resolv, readOnly: true))
            }
        }
    }

    /// The profile's [[mount]] entries.
    func bind(_ mounts: [Profile.BindMount], profile: String) throws(StrataError) {
        for (index, mount) in mounts.enumerated() {
            guard let status = try? FileStatus(path: mount.source) else {
                throw .input("\(profile): [[mount]] #\(index + 1): source \(mount.source) does not exist; create it or remove the entry")
            }
            try bind(mount.source, at: mount.target, readOnly: mount.readonly, isDirectory: status.kind == .directory)
        }
    }

    /// Binds a host path at an absolute path inside the root, creating the mount point.
    func bind(_ source: String, at target: String, readOnly: Bool, isDirectory: Bool = true) throws(StrataError) {
        try during("bind \(source) at \(target) in \(path)") {
            let mountPoint: String
            let record = { (made: String) in self.madeMountPoints.append(made) }
            if isDirectory {
                mountPoint = try FileTree.makeDirectories(inside: path, path: target, created: record)
            } else {
                let parent = String(target[..<(target.lastIndex(of: "/") ?? target.startIndex)])
                mountPoint = try FileTree.makeDirectories(inside: path, path: parent, created: record)
                    + "/" + (target.split(separator: "/").last.map(String.init) ?? "")
                if try FileStatus.ifExists(mountPoint) == nil {
                    try FileTree.makeEmptyFile(mountPoint)
                    record(mountPoint)
                }
            }
            try stack.push(.bind(source, to: mountPoint, readOnly: readOnly))
        }
    }

    /// Unmounts everything, last first, including anything left below the
    /// mount point. Returns what could not be unmounted.
    /// The mount points `bind` had to create are removed (deepest first, only
    /// when empty) between unmounting the binds and unmounting the overlay,
    /// so that a layer holds only what its command wrote.
    @discardableResult
    public func teardown() -> [SystemError] {
        var errors = stack.unmount(keeping: 1)
        if errors.isEmpty {
            for made in madeMountPoints.reversed() where rmdir(made) != 0 && errno == ENOTDIR {
                _ = unlink(made)
            }
        }
        madeMountPoints.removeAll()
        errors += stack.unmountAll(sweeping: path)
        return errors
    }
}
