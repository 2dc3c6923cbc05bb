import CStrataSpawn
import Glibc

/// One mount, as data: what to mount where, with which options. Performing it
/// is a separate step (`perform()`), so a build root's mounts can be listed,
/// printed and tested before anything touches the kernel.
public struct Mount: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case overlay, tmpfs, devpts, bind
        /// A tmpfs without `nodev`, for /dev (mounted as file system type tmpfs).
        case devtmpfs
    }

    public var kind: Kind
    public var source: String
    public var target: String
    /// File-system options (the `data` argument of mount(2)).
    public var options: [String]
    /// For binds: remount read-only after binding.
    public var readOnly: Bool

    public init(kind: Kind, source: String, target: String, options: [String] = [], readOnly: Bool = false) {
        self.kind = kind
        self.source = source
        self.target = target
        self.options = options
        self.readOnly = readOnly
    }

    /// An overlay of `lower` (topmost first) under a writable `upper`.
    /// Layers that become lowers later are mounted with index, metacopy and
    /// redirect_dir off, so their upper holds plain files only; a throwaway
    /// scratch layer may be `volatile` (no syncs). With `userXattr` (an
    /// overlay mounted inside a user namespace) whiteouts and opaque
    /// directories are kept in user.overlay.* instead of trusted.overlay.*.
    public static func overlay(
        lower: [String], upper: String, work: String, target: String, volatile: Bool = false,
        userXattr: Bool = false
    ) -> Mount {
        var options = [
            "lowerdir=" + lower.map(escapeOverlayPath).joined(separator: ":"),
            "upperdir=" + escapeOverlayPath(upper),
            "workdir=" + escapeOverlayPath(work),
            // With userxattr overlayfs accepts only redirect_dir=nofollow, which
            // creates no redirect either (and follows none, as no layer has one).
            "index=off", "metacopy=off", userXattr ? "redirect_dir=nofollow" : "redirect_dir=off",
        ]
        if volatile { options.append("volatile") }
        if userXattr { options.append("userxattr") }
        return Mount(kind: .overlay, source: "strata", target: target, options: options)
    }

    public static func bind(_ source: String, to target: String, readOnly: Bool) -> Mount {
        Mount(kind: .bind, source: source, target: target, readOnly: readOnly)
    }

    public static func tmpfs(at target: String, mode: String = "1777") -> Mount {
        Mount(kind: .tmpfs, source: "tmpfs", target: target, options: ["mode=\(mode)"])
    }

    /// A tmpfs that may hold device nodes: the root's minimal /dev.
    public static func deviceTmpfs(at target: String) -> Mount {
        Mount(kind: .devtmpfs, source: "tmpfs", target: target, options: ["mode=755"])
    }

    /// A private devpts instance, so the build's terminals are its own.
    public static func devpts(at target: String) -> Mount {
        Mount(kind: .devpts, source: "devpts", target: target,
              options: ["newinstance", "ptmxmode=0666", "mode=0620"])
    }

    /// A tmpfs whose top directory belongs to `owner`'s uid and gid 0 (the
    /// root of a user namespace); unchanged for nil or other kinds.
    public func owned(by owner: IDMapping?) -> Mount {
        guard let owner, kind == .tmpfs || kind == .devtmpfs else { return self }
        var mount = self
        mount.options += ["uid=\(owner.hostUID)", "gid=\(owner.hostGID)"]
        return mount
    }

    public var description: String {
        let opts = options.isEmpty ? "" : " (\(options.joined(separator: ",")))"
        return "\(kind.rawValue) \(source) on \(target)\(readOnly ? " ro" : "")\(opts)"
    }

    /// Mounts it, with mount(2).
    public func perform() throws(SystemError) {
        let data = options.joined(separator: ",")
        let result: Int32
        switch kind {
        case .bind:
            result = Glibc.mount(source, target, nil, UInt(MS_BIND | MS_REC), nil)
            if result == 0 && readOnly {
                let flags = UInt(MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
                if Glibc.mount(nil, target, nil, flags, nil) != 0 {
                    let error = SystemError("remount read-only", path: target)
                    _ = umount2(target, Int32(MNT_DETACH))
                    throw error
                }
            }
        case .overlay:
            result = Glibc.mount(source, target, "overlay", 0, data)
        case .tmpfs:
            result = Glibc.mount(source, target, "tmpfs", UInt(MS_NOSUID | MS_NODEV), data)
        case .devtmpfs:
            result = Glibc.mount(source, target, "tmpfs", UInt(MS_NOSUID | MS_NOEXEC), data)
        case .devpts:
            result = Glibc.mount(source, target, "devpts", UInt(MS_NOSUID | MS_NOEXEC), data)
        }
        if result != 0 {
            throw SystemError("mount \(kind.rawValue) \(source)", path: target)
        }
    }

    /// Unmounts whatever is mounted at `target`, with umount2(2). A busy
    /// mount is detached instead, so teardown always completes.
    public static func unmount(_ target: String) throws(SystemError) {
        if umount2(target, 0) == 0 { return }
        let code = errno
        if code == EBUSY, umount2(target, Int32(MNT_DETACH)) == 0 { return }
        throw SystemError("unmount", path: target, errno: code)
    }
}

/// Overlay options separate paths with ':' and options with ','; a path that
/// contains either (or a backslash) needs them escaped.
func escapeOverlayPath(_ path: String) -> String {
    var escaped = ""
    for character in path {
        if character == ":" || character == "," || character == "\\" { escaped.append("\\") }
        escaped.append(character)
    }
    return escaped
}
