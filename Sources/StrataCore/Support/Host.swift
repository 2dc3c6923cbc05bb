import StrataOS
import Synchronization

/// How strata holds its privileges: as root, or as an ordinary user inside a
/// user namespace of its own (rootless).
public enum Privilege: String, Sendable {
    case root, rootless
}

/// What the machine must offer before strata mounts anything, and the user
/// namespaces strata and its builds run in.
public enum Host {
    private static let prepared = Mutex(false)
    /// Decided once, from the real user, before any namespace is entered.
    private static let decided = Mutex<Privilege?>(nil)
    /// Root's user namespace for builds, made on first use.
    private static let buildNamespace = Mutex<UserNamespace?>(nil)

    /// Root's default range for user-namespaced builds when /etc/subuid has
    /// no line for root: 0x70000000, above what useradd hands out
    /// (SUB_UID_MAX 600100000) and below systemd's foreign range (0x7FFE0000).
    public static let defaultRootRange: UInt32 = 0x7000_0000

    /// Root when strata started as root; rootless otherwise.
    public static var privilege: Privilege {
        decided.withLock { value in
            if let value { return value }
            let current: Privilege = CurrentProcess.isRoot ? .root : .rootless
            value = current
            return current
        }
    }

    /// Overlayfs, for a user without root a user namespace of its own
    /// (uid 0 inside is the user, 1...65536 the subordinate ids), a private
    /// mount namespace for this process, and the SIGINT/SIGTERM handlers
    /// that let a build tear down before exiting. Call early, while the
    /// process has a single thread. Idempotent.
    public static func prepareForMounts() throws(StrataError) {
        if prepared.withLock({ $0 }) { return }
        if !HostMachine.hasOverlayFS {
            throw .environment("this kernel does not offer overlayfs; load it with 'modprobe overlay' and try again")
        }
        if privilege == .rootless { try enterRootlessNamespace() }
        Termination.install()
        do {
            try MountNamespace.enterPrivate()
        } catch {
            throw .environment("cannot enter a private mount namespace: \(error); run strata outside a container that forbids unshare")
        }
        prepared.withLock { $0 = true }
    }

    /// The user namespace root's builds run in (`[build] userns`), made once:
    /// root's range in /etc/subuid and /etc/subgid, else `defaultRootRange`.
    /// nil when strata runs rootless (its builds share strata's namespace).
    public static func rootBuildNamespace() throws(StrataError) -> UserNamespace? {
        guard privilege == .root else { return nil }
        if let existing = buildNamespace.withLock({ $0 }) { return existing }
        let mapping = try rootMapping()
        let namespace: UserNamespace
        do {
            namespace = try UserNamespace.create(mapping)
        } catch {
            throw .environment("cannot create the user namespace for builds (\(mapping)): \(error); turn it off with [build] userns = false or --no-userns", cause: error)
        }
        return buildNamespace.withLock { value in
            if value == nil { value = namespace }
            return value
        }
    }

    /// Root's line in /etc/subuid and /etc/subgid when there is one;
    /// otherwise the default range, unless a user's range overlaps it.
    static func rootMapping(subuid: String = "/etc/subuid", subgid: String = "/etc/subgid") throws(StrataError) -> IDMapping {
        let uidText = SubordinateIDs.text(of: subuid)
        let gidText = SubordinateIDs.text(of: subgid)
        if let uid = SubordinateIDs.start(in: uidText, user: "root", uid: 0),
           let gid = SubordinateIDs.start(in: gidText, user: "root", uid: 0) {
            return IDMapping(hostUID: uid, hostGID: gid, count: SubordinateIDs.needed)
        }
        let start = UInt64(defaultRootRange)
        let end = start + UInt64(SubordinateIDs.needed)
        for (file, text) in [(subuid, uidText), (subgid, gidText)] {
            for line in SubordinateIDs.lines(in: text) where line.start < end && start < line.start + line.count {
                throw .environment("\(file) gives \(line.owner) ids \(line.start)-\(line.start + line.count - 1), which overlap strata's default range for root's builds (\(start)-\(end - 1)); add a line 'root:START:65536' with a free range to /etc/subuid and /etc/subgid")
            }
        }
        return IDMapping(hostUID: defaultRootRange, hostGID: defaultRootRange, count: SubordinateIDs.needed)
    }

    /// Moves this process into a user namespace of the user's subordinate ids.
    private static func enterRootlessNamespace() throws(StrataError) {
        let uid = CurrentProcess.userID
        let gid = CurrentProcess.groupID
        let user = CurrentProcess.userName
        let ranges = try SubordinateIDs.read(user: user, uid: uid)
        guard let newuidmap = helper("newuidmap"), let newgidmap = helper("newgidmap") else {
            throw .environment("without root, strata needs newuidmap and newgidmap to map its user namespace; install them (Debian: apt-get install uidmap)")
        }
        let pid = String(CurrentProcess.id)
        let count = String(SubordinateIDs.needed)
        do {
            try UserNamespace.enter(
                uidMapCommand: [newuidmap, pid, "0", String(uid), "1", "1", String(ranges.uidStart), count],
                gidMapCommand: [newgidmap, pid, "0", String(gid), "1", "1", String(ranges.gidStart), count])
        } catch {
            throw .environment("cannot enter a user namespace as \(user ?? String(uid)): \(error). The kernel must allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0), and /etc/subuid and /etc/subgid must give \(user ?? String(uid)) the ranges starting at \(ranges.uidStart) and \(ranges.gidStart); see Docs/rootless.md", cause: error)
        }
    }

    private static func helper(_ name: String) -> String? {
        ["/usr/bin/", "/bin/", "/usr/sbin/", "/usr/local/bin/"].map { $0 + name }.first { (try? FileStatus(path: $0)) != nil }
    }
}
