import StrataOS
import SystemPackage

/// One merged root at a mount point: the overlay, then what a build expects
/// inside it (a minimal /dev with its own devpts, tmpfs /tmp, binds), torn
/// down in reverse. proc and sysfs are mounted by each command's own PID and
/// network namespaces (`IsolatedCommand`), so they never appear here.
///
/// With a user namespace (root's builds, `[build] userns`), every layer and
/// bind enters the overlay through an idmapped mount: uid N on disk is N
/// inside the namespace and its range's N on the host, so layers keep their
/// canonical ownership and the commands' root is not root on the host.
/// Rootless strata is inside its own namespace already; its overlays keep
/// their attributes in user.overlay.* (`overlayAttributes`).
public final class BuildRoot {
    public let path: String
    /// The namespace the root's commands run in as its root; nil: strata's own.
    public let userNamespace: UserNamespace?
    public let overlayAttributes: OverlayAttributes
    private let stack = MountStack()
    /// The idmapped mounts of the layers, under `maps`, below the overlay.
    private let mapped = MountStack()
    private var maps: String { path + ".maps" }
    /// Directories made only to mount on, so that they can be removed again
    /// and not end up in a layer.
    private var madeMountPoints: [String] = []

    public init(path: String, userNamespace: UserNamespace? = nil, overlayAttributes: OverlayAttributes = .trusted) {
        self.path = path
        self.userNamespace = userNamespace
        self.overlayAttributes = overlayAttributes
    }

    /// `upper` and `work` must be siblings in one directory.
    public func mountOverlay(lower: [String], upper: String, work: String, volatile: Bool) throws(StrataError) {
        var lower = lower
        var upper = upper
        var work = work
        if let userNamespace {
            try during("map the layers of \(path) into the build's user namespace (\(userNamespace.mapping))") {
                try FileTree.makeDirectory(maps, existingOK: true)
                for (index, directory) in lower.enumerated() {
                    let target = maps + "/\(index)"
                    try FileTree.makeDirectory(target, existingOK: true)
                    try mapped.pushMappedBind(directory, onto: target, through: userNamespace)
                    lower[index] = target
                }
                // upper and work are siblings: their directory is mapped once, for both.
                let scratch = maps + "/upper"
                let (parent, upperName) = Self.split(upper)
                try FileTree.makeDirectory(scratch, existingOK: true)
                try mapped.pushMappedBind(parent, onto: scratch, through: userNamespace)
                upper = scratch + "/" + upperName
                work = scratch + "/" + Self.split(work).name
            }
        }
        let overlay = Mount.overlay(lower: lower, upper: upper, work: work, target: path, volatile: volatile,
                                    userXattr: overlayAttributes == .user)
        // Mounted as the namespace's root: overlayfs makes its work files, and
        // copies up, with the mounter's identity, which the idmapped upper
        // must be able to write as uid 0.
        try during("mount the overlay at \(path)") { try asRoot { () throws(SystemError) in try stack.push(overlay) } }
    }

    /// A host path's directory and last component.
    private static func split(_ path: String) -> (directory: String, name: String) {
        let slash = path.lastIndex(of: "/") ?? path.startIndex
        return (String(path[..<slash]), String(path[path.index(after: slash)...]))
    }

    /// Runs `body` as the root of the commands' user namespace (file-system
    /// identity only): what it writes into the root through the idmapped
    /// layers is owned by uid 0 there. Without a namespace, just runs it.
    public func asRoot<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        guard let userNamespace else { return try body() }
        return try userNamespace.actingAsRoot(body)
    }

    /// The host ids of `identity` inside the root, for a chown done from outside.
    func hostIdentity(of identity: IsolatedCommand.Identity) -> IsolatedCommand.Identity {
        guard let mapping = userNamespace?.mapping else { return identity }
        return IsolatedCommand.Identity(uid: mapping.hostUID + identity.uid, gid: mapping.hostGID + identity.gid)
    }

    /// /dev, /dev/pts, /dev/shm, /tmp, the proc and sys mount points, and the
    /// host's resolv.conf when the root has one and the network is on. Every
    /// path is resolved inside the root (`RootPath`): a link a layer planted
    /// at any of them leads somewhere inside the root, never outside.
    public func mountSystem(network: Bool) throws(StrataError) {
        try during("prepare the system mounts in \(path)") { try asRoot { () throws(SystemError) in try mountSystemMounts(network: network) } }
    }

    private func mountSystemMounts(network: Bool) throws(SystemError) {
        let owner = userNamespace?.mapping
        for directory in ["/proc", "/sys"] { _ = try resolve(directory, create: .directory) }
        let tmp = try resolve("/tmp", create: .directory)
        try stack.pushDeviceDirectory(onto: try resolve("/dev", create: .directory), owner: owner)
        try stack.push(Mount.tmpfs(at: tmp.host).owned(by: owner), onto: tmp)
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
        try during("bind \(source) at \(target) in \(path)") { try asRoot { () throws(SystemError) in
            let mountPoint = try resolve(target, create: isDirectory ? .directory : .file, followingLinks: false)
            let kind = try mountPoint.status().kind
            if isDirectory != (kind == .directory) {
                throw SystemError("\(target) resolves to a \(kind.rawValue) in the root, but \(source) is \(isDirectory ? "a directory" : "not a directory"); bind", path: mountPoint.host, errno: isDirectory ? .notDirectory : .isDirectory)
            }
            do throws(SystemError) {
                try stack.pushBind(source, onto: mountPoint, readOnly: readOnly, mappedThrough: userNamespace)
            } catch where readOnly && userNamespace != nil && error.errno == .invalidArgument {
                // A read-only source on a file system that cannot be idmapped
                // (NFS) is bound as it is; its files read as nobody's inside.
                try stack.pushBind(source, onto: mountPoint, readOnly: readOnly)
            }
        } }
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
            asRoot { madeMountPoints.reversed().forEach(FileTree.removeIfEmpty) }
        }
        madeMountPoints.removeAll()
        errors += stack.unmountAll(sweeping: path)
        if userNamespace != nil {
            errors += mapped.unmountAll(sweeping: maps)
            if errors.isEmpty { _ = try? FileTree.remove(maps) }
        }
        return errors
    }
}
