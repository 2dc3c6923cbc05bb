import Glibc
import StrataOS

/// The store directory and its fixed layout (DESIGN.md, "Store layout").
public struct Store: Sendable {
    public static let defaultPath = "/var/lib/strata"

    public let root: String

    public var images: String { root + "/images" }
    public var layers: String { root + "/layers" }
    public var builds: String { root + "/builds" }
    public var locks: String { root + "/locks" }
    /// Which update layer is the most recent for a base and an update recipe.
    public var updates: String { root + "/updates" }

    /// --store, else $STRATA_STORE, else /var/lib/strata.
    public static func path(option: String?, environment: [String: String]) -> String {
        option ?? environment["STRATA_STORE"] ?? defaultPath
    }

    /// Opens the store at `path`, creating its directories, and checks that
    /// overlayfs can keep upper and work directories on its file system.
    public static func open(_ path: String) throws(StrataError) -> Store {
        let store = Store(root: absolute(path))
        for directory in [store.root, store.images, store.layers, store.builds, store.locks, store.updates] {
            if mkdir(directory, 0o755) != 0 && errno != EEXIST {
                throw .environment("cannot create \(directory): \(SystemError("mkdir").errno.description); pass a writable --store")
            }
        }
        if let type = try? fileSystemType(of: store.root) {
            let unsuitable: [UInt: String] = [0x794c_7630: "overlayfs", 0x6969: "NFS", 0x5346_414f: "AFS", 0xff53_4d42: "CIFS"]
            if let name = unsuitable[type] {
                throw .environment("store \(store.root) is on \(name), which cannot hold overlay upper directories; pass --store on a local file system such as ext4, xfs, btrfs or tmpfs")
            }
        }
        return store
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return normalized(path) }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
        let cwd = getcwd(&buffer, buffer.count).map { String(cString: $0) } ?? "/"
        return normalized(cwd + "/" + path)
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
