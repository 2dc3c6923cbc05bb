import StrataOS
import SystemPackage

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

    public func mountOverlay(lower: [String], upper: String, work: String, volatile: Bool) throws(StrataError) {
        let overlay = Mount.overlay(lower: lower, upper: upper, work: work, target: path, volatile: volatile)
        try during("mount the overlay at \(path)") { try stack.push(overlay) }
    }

    /// /dev, /dev/pts, /dev/shm, /tmp, the proc and sys mount points, and the
    /// host's resolv.conf when the root has one and the network is on. Every
    /// path is resolved inside the root (`RootPath`): a link a layer planted
    /// at any of them leads somewhere inside the root, never outside.
    public func mountSystem(network: Bool) throws(StrataError) {
        try during("prepare the system mounts in \(path)") {
            for directory in ["/proc", "/sys"] { _ = try resolve(directory, create: .directory) }
            let tmp = try resolve("/tmp", create: .directory)
            try stack.pushDeviceDirectory(onto: try resolve("/dev", create: .directory))
            try stack.push(.tmpfs(at: tmp.host), onto: tmp)
            if network, try FileStatus.ifExists("/etc/resolv.conf") != nil, try rootHasEntry("/etc", "resolv.conf") {
                // The root's resolv.conf is often a link into /run (systemd-resolved
                // images): bind onto what it leads to inside the root, made when
                // missing and removed again at teardown.
                let resolv = try resolve("/etc/resolv.conf", create: .file)
                guard try resolv.status().kind == .regular else {
                    throw SystemError("expected a regular file for /etc/resolv.conf", path: resolv.host, errno: .isDirectory)
                }
                try stack.pushBind("/etc/resolv.conf", onto: resolv, readOnly: true)
            }
        }
    }

    /// `path` inside this root (see `RootPath`); what it had to create is
    /// removed again at teardown.
    private func resolve(_ path: String, create: RootPath.Creation, followingLinks: Bool = true) throws(SystemError) -> RootPath {
        guard let resolved = try RootPath.resolve(path, in: self.path, create: create, followingLinks: followingLinks) else {
            throw SystemError("resolve", path: self.path + path, errno: .noSuchFileOrDirectory)
        }
        madeMountPoints += resolved.created
        return resolved
    }

    /// True when `directory` inside the root has an entry `name` (of any
    /// kind, a dangling link too).
    private func rootHasEntry(_ directory: String, _ name: String) throws(SystemError) -> Bool {
        guard let parent = try RootPath.resolve(directory, in: path) else { return false }
        return try parent.hasEntry(name)
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

    /// Binds a host path at an absolute path inside the root, creating the
    /// mount point (a directory, or an empty file for a file) when missing.
    /// A link at the target or on the way to it is refused, naming it: only
    /// an image or a layer can have put it there.
    func bind(_ source: String, at target: String, readOnly: Bool, isDirectory: Bool = true) throws(StrataError) {
        try during("bind \(source) at \(target) in \(path)") {
            let mountPoint = try resolve(target, create: isDirectory ? .directory : .file, followingLinks: false)
            let kind = try mountPoint.status().kind
            if isDirectory != (kind == .directory) {
                throw SystemError("\(target) resolves to a \(kind.rawValue) in the root, but \(source) is \(isDirectory ? "a directory" : "not a directory"); bind", path: mountPoint.host, errno: isDirectory ? .notDirectory : .isDirectory)
            }
            try stack.pushBind(source, onto: mountPoint, readOnly: readOnly)
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
            madeMountPoints.reversed().forEach(FileTree.removeIfEmpty)
        }
        madeMountPoints.removeAll()
        errors += stack.unmountAll(sweeping: path)
        return errors
    }
}
