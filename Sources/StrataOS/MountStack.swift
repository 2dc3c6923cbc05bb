import CStrataSpawn
import Glibc

/// Mounts performed in order and torn down in reverse. Owned by one build
/// root; `unmountAll()` is explicit because teardown has to report failures.
public final class MountStack {
    public private(set) var mounted: [Mount] = []

    public init() {}

    public func push(_ mount: Mount) throws(SystemError) {
        try mount.perform()
        mounted.append(mount)
    }

    /// Mounts `mount` onto a resolved entry (its target is then that entry's host path).
    public func push(_ mount: Mount, onto target: RootPath) throws(SystemError) {
        try target.mount(mount)
        var recorded = mount
        recorded.target = target.host
        mounted.append(recorded)
    }

    /// Binds `source` onto a resolved entry, idmapped through `userNamespace` when given.
    public func pushBind(_ source: String, onto target: RootPath, readOnly: Bool,
                         mappedThrough userNamespace: UserNamespace? = nil) throws(SystemError) {
        try target.bind(from: source, readOnly: readOnly, mappedThrough: userNamespace)
        mounted.append(.bind(source, to: target.host, readOnly: readOnly))
    }

    /// Binds the directory `source` onto the directory `target` (both host
    /// paths strata made or owns), idmapped through `userNamespace`: what is
    /// owned by uid N on disk is N inside the namespace.
    public func pushMappedBind(_ source: String, onto target: String, through userNamespace: UserNamespace) throws(SystemError) {
        let fd = open(target, STRATA_O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 { throw SystemError("open mount point", path: target) }
        defer { close(fd) }
        let result = withExtendedLifetime(userNamespace) { strata_bind_onto(source, fd, 0, userNamespace.descriptor) }
        if result != 0 { throw SystemError("bind \(source) idmapped (\(userNamespace.mapping)) onto", path: target) }
        mounted.append(.bind(source, to: target, readOnly: false))
    }

    /// Unmounts everything this stack mounted, last first, then anything that
    /// is still mounted below `directory` (mounts made inside the root by
    /// other means). Returns the errors it met; it never stops half-way.
    @discardableResult
    public func unmountAll(sweeping directory: String? = nil) -> [SystemError] {
        var errors = unmount(keeping: 0)
        if let directory {
            do {
                for entry in try MountTable.entries(under: directory) {
                    do { try Mount.unmount(entry.target) } catch { errors.append(error) }
                }
            } catch {
                errors.append(error)
            }
        }
        return errors
    }

    /// Unmounts the most recent mounts until `count` remain.
    @discardableResult
    public func unmount(keeping count: Int) -> [SystemError] {
        var errors: [SystemError] = []
        while mounted.count > count, let mount = mounted.popLast() {
            do { try Mount.unmount(mount.target) } catch { errors.append(error) }
        }
        return errors
    }
}
