// Store/ — the store on disk: its layout and check (Store), base images,
// finished layers with their locks, use, integrity and removal, update
// pointers, scratch directories owned by living processes, gc, input mounts
// digested through the file digest cache, and the explanation of a miss
// against the closest layer. May use: Support, Profile, Keys, StrataOS.
// Runs no command and mounts nothing.

import StrataOS

/// The store directory and its fixed layout (DESIGN.md, "Store layout").
public struct Store: Sendable {
    public static let defaultPath = "/var/lib/strata"

    public let root: String
    /// Root's store or a rootless one: fixed when the store is made
    /// (`.strata-privilege`). A rootless store holds files owned by the
    /// user's subordinate ids and overlay attributes in user.overlay.*.
    public let privilege: Privilege

    /// Where this store's overlays keep whiteouts and opaque directories.
    public var overlayAttributes: OverlayAttributes { privilege == .root ? .trusted : .user }

    public var images: String { root + "/images" }
    public var layers: String { root + "/layers" }
    public var builds: String { root + "/builds" }
    public var locks: String { root + "/locks" }
    /// Which update layer is the most recent for a base and an update recipe.
    public var updates: String { root + "/updates" }
    /// Speed-ups that can be deleted at any time (input mount file digests).
    public var cache: String { root + "/cache" }

    /// The file digest cache of the input mount at `source` (a host path).
    func mountDigestCache(for source: String) -> String {
        cache + "/mount-" + HashingStream.hex(source.utf8).prefix(32)
    }

    /// --store, else $STRATA_STORE, else /var/lib/strata for root and
    /// $XDG_DATA_HOME/strata (~/.local/share/strata) for another user.
    public static func path(option: String?, environment: [String: String], privilege: Privilege = Host.privilege) -> String {
        if let chosen = option ?? environment["STRATA_STORE"] { return chosen }
        if privilege == .root { return defaultPath }
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") { return data + "/strata" }
        return (environment["HOME"] ?? "/") + "/.local/share/strata"
    }

    /// Opens the store at `path`, creating its directories. The first time
    /// a store is used on a file system, checks that overlayfs can keep upper
    /// and work directories there, and refuses it otherwise.
    /// A store made by root cannot be opened rootless, nor one made rootless by root.
    public static func open(_ path: String, privilege: Privilege = Host.privilege) throws(StrataError) -> Store {
        let store = Store(root: absolute(path), privilege: privilege)
        do {
            // With its parents: the default rootless store's (~/.local/share) may not exist yet.
            try FileTree.makeDirectories(inside: "", path: store.root)
        } catch {
            throw .environment("cannot create \(store.root): \(error.errno); pass a writable --store")
        }
        for directory in [store.images, store.layers, store.builds, store.locks, store.updates, store.cache] {
            do {
                try FileTree.makeDirectory(directory, existingOK: true)
            } catch {
                throw .environment("cannot create \(directory): \(error.errno); pass a writable --store")
            }
        }
        try store.checkPrivilege()
        try store.checkFileSystem()
        return store
    }

    /// `.strata-privilege` says whether root or a rootless user made the
    /// store (a store from before it existed is root's). The other kind
    /// sees its ownership shifted and its whiteouts in another namespace.
    private func checkPrivilege() throws(StrataError) {
        let marker = root + "/.strata-privilege"
        let recorded = (try? FileTree.readFile(marker)).map { String(decoding: $0, as: UTF8.self) }
        // Only a store without the marker is listed: once, the first time this strata opens it.
        let made = recorded.flatMap { Privilege(rawValue: $0.trimmingCharacters(in: "\n")) }
            ?? (recorded == nil && hasContent ? .root : nil)
        if let made, made != privilege {
            throw .environment(made == .root
                ? "store \(root) belongs to root strata; without root, use your own store (the default, or --store DIR); see Docs/rootless.md"
                : "store \(root) is a rootless store (files owned by a user's subordinate ids); run strata as that user, or pass another --store")
        }
        if recorded == nil {
            do {
                try FileTree.writeFile(marker, Array("\(privilege.rawValue)\n".utf8), sync: true)
            } catch {
                throw .system(error, while: "record the store's kind in \(marker)")
            }
        }
    }

    /// True when the store holds a layer or an image.
    private var hasContent: Bool {
        [layers, images].contains { ((try? directoryEntries($0)) ?? []).isEmpty == false }
    }

    /// `.strata-store` records the device the store was checked on, so the
    /// probe runs again only when the store moved to another file system.
    private func checkFileSystem() throws(StrataError) {
        let marker = root + "/.strata-store"
        guard let device = (try? FileStatus(path: builds))?.device else { return }
        let expected = "strata store checked on device \(device)\n"
        if let recorded = try? FileTree.readFile(marker), recorded == Array(expected.utf8) { return }
        if let problem = FileSystemProbe.problem(in: builds, attributes: overlayAttributes) {
            throw .environment("store \(root) cannot be used: \(problem). Pass --store (or STRATA_STORE) on a local file system such as ext4, xfs, btrfs or tmpfs")
        }
        try? FileTree.writeFile(marker, Array(expected.utf8))
    }

    public static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return normalized(path) }
        return normalized((CurrentProcess.workingDirectory ?? "/") + "/" + path)
    }

    static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == ".." { _ = parts.popLast() } else { parts.append(part) }
        }
        return "/" + parts.joined(separator: "/")
    }
}

/// A short random identifier for builds and temporary layers.
func randomIdentifier() -> String {
    String(UInt64.random(in: 0...UInt64.max), radix: 16)
}
