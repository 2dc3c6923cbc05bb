import CStrataSpawn
import Glibc

/// Where a user namespace's ids 0..<count live on the host: uid 0 inside is
/// `hostUID` outside, uid 1 is `hostUID + 1`, and so on (gids alike).
public struct IDMapping: Sendable, Hashable, Codable, CustomStringConvertible {
    public var hostUID: UInt32
    public var hostGID: UInt32
    public var count: UInt32

    public init(hostUID: UInt32, hostGID: UInt32, count: UInt32) {
        self.hostUID = hostUID
        self.hostGID = hostGID
        self.count = count
    }

    public var description: String {
        "uids \(hostUID)-\(UInt64(hostUID) + UInt64(count) - 1), gids \(hostGID)-\(UInt64(hostGID) + UInt64(count) - 1)"
    }
}

/// A user namespace made by root with one contiguous mapping, held open by
/// its descriptor for as long as this value lives. Commands enter it as its
/// root (`IsolatedCommand.userNamespace`); mounts shift ownership through
/// it (`MountStack.pushMappedBind`).
public final class UserNamespace: Sendable {
    public let descriptor: Int32
    public let mapping: IDMapping

    private init(descriptor: Int32, mapping: IDMapping) {
        self.descriptor = descriptor
        self.mapping = mapping
    }

    deinit { close(descriptor) }

    /// A new namespace whose ids 0..<count are `mapping`'s on the host. Needs root.
    public static func create(_ mapping: IDMapping) throws(SystemError) -> UserNamespace {
        let fd = strata_create_user_namespace("0 \(mapping.hostUID) \(mapping.count)\n",
                                              "0 \(mapping.hostGID) \(mapping.count)\n")
        if fd < 0 { throw SystemError("create a user namespace (\(mapping))") }
        return UserNamespace(descriptor: fd, mapping: mapping)
    }

    /// The namespace that process `pid` holds open as its descriptor
    /// `descriptor` (a strata serving a testbed), with that namespace's mapping.
    public static func open(process pid: Int32, descriptor: Int32, mapping: IDMapping) throws(SystemError) -> UserNamespace {
        let path = "/proc/\(pid)/fd/\(descriptor)"
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw SystemError("open the user namespace", path: path) }
        return UserNamespace(descriptor: fd, mapping: mapping)
    }

    /// nil when the file system holding `path` can be idmapped through this
    /// namespace; otherwise why not (ext4, xfs and btrfs can from 5.12–5.15, tmpfs from 6.3).
    public func mappingProblem(at path: String) -> SystemError? {
        let result = withExtendedLifetime(self) { strata_can_idmap(path, descriptor) }
        return result == 0 ? nil : SystemError("idmap a mount (mount_setattr MOUNT_ATTR_IDMAP)", path: path)
    }

    /// Runs `body` with this thread's file-system identity set to the
    /// namespace's root on the host: what it creates through an idmapped
    /// mount is owned by uid 0 on disk. Capabilities stay as they were.
    public func actingAsRoot<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        if strata_act_as(mapping.hostUID, mapping.hostGID) != 0 {
            // Cannot happen as root; the body then runs as root itself, and an
            // idmapped mount refuses its writes (EOVERFLOW) rather than mis-owning them.
            _ = strata_act_as(0, 0)
        }
        defer { _ = strata_act_as(0, 0) }
        return try body()
    }

    /// Moves this process (single-threaded, not root) into a new user
    /// namespace that maps uid and gid 0 to its own and 1... to the
    /// subordinate ranges, through the set-uid helpers newuidmap and
    /// newgidmap (`uidMapCommand` and `gidMapCommand`, absolute paths first,
    /// this process's id included). Afterwards it is root there.
    public static func enter(uidMapCommand: [String], gidMapCommand: [String]) throws(SystemError) {
        let uidArguments = CStringArray(uidMapCommand)
        let gidArguments = CStringArray(gidMapCommand)
        var helperStatus: Int32 = 0
        let result = withExtendedLifetime((uidArguments, gidArguments)) {
            strata_enter_user_namespace(uidArguments.base, gidArguments.base, &helperStatus)
        }
        if result != 0 {
            if helperStatus != 0 {
                let code = (helperStatus >> 8) & 0xff
                throw SystemError("map the user namespace (\(uidMapCommand[0]) or \(gidMapCommand[0]) exited \(code))", errno: EPERM)
            }
            throw SystemError("enter a user namespace")
        }
    }
}
