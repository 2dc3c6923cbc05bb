import CStrataSpawn
import Glibc
import SystemPackage

/// Whether a directory's file system can hold overlayfs upper and work
/// directories: overlayfs needs trusted extended attributes (whiteouts,
/// opaque directories), file types in directory entries (d_type), and
/// O_TMPFILE for atomic copy-up. Some file systems are refused by name: they
/// either lack those or fail later in ways that are hard to read.
public enum FileSystemProbe {
    /// statfs(2) magic numbers of file systems that cannot be a store.
    static let refused: [UInt: String] = [
        0x794c_7630: "overlayfs", 0x8584_58f6: "ramfs", 0x6969: "NFS", 0x5346_414f: "AFS",
        0xff53_4d42: "CIFS", 0xfe53_4d42: "SMB2", 0x0102_1997: "9p", 0x00c3_6400: "Ceph",
    ]

    /// The names of file systems strata knows by their statfs magic.
    static let names: [UInt: String] = [
        0xef53: "ext4", 0x5846_5342: "xfs", 0x9123_683e: "btrfs", 0x0102_1994: "tmpfs", 0x2fc1_2fc1: "zfs",
        0xf2f5_2010: "f2fs",
    ]

    /// The file system's name, as strata reports it.
    public static func name(of path: String) -> String {
        guard let type = try? fileSystemType(of: path) else { return "an unknown file system" }
        return refused[type] ?? names[type] ?? "file system type 0x" + String(type, radix: 16)
    }

    /// nil when `directory` can hold overlay upper and work directories;
    /// otherwise what is missing. Leaves nothing behind in `directory`.
    /// Root's overlays keep their attributes in trusted.*; those mounted in
    /// a user namespace (with userxattr) in user.*.
    public static func problem(in directory: String, attributes: OverlayAttributes = .trusted) -> String? {
        let xattrNamespace = attributes.rawValue
        if let type = try? fileSystemType(of: directory), let name = refused[type] {
            return "it is on \(name), which cannot hold overlay upper directories"
        }
        let probe = directory + "/.strata-probe-" + String(getpid())
        _ = try? FileTree.remove(probe)
        guard mkdir(probe, 0o700) == 0 else { return "cannot create \(probe): \(Errno(rawValue: errno))" }
        defer { _ = try? FileTree.remove(probe) }

        let attribute = xattrNamespace + ".strata.probe"
        let stored = [UInt8]("1".utf8).withUnsafeBytes { lsetxattr(probe, attribute, $0.baseAddress, $0.count, 0) }
        if stored != 0 {
            return "its file system (\(name(of: directory))) does not store \(xattrNamespace).* extended attributes (\(Errno(rawValue: errno))), which overlayfs needs for whiteouts"
        }
        guard mkdir(probe + "/d", 0o700) == 0 else { return "cannot create a directory in \(probe): \(Errno(rawValue: errno))" }
        guard directoryEntryTypeKnown(probe, name: "d") else {
            return "its file system (\(name(of: directory))) does not record file types in directory entries (d_type; for ext4, mkfs with -O filetype, for xfs, ftype=1), which overlayfs needs"
        }
        let temporary = strata_open_tmpfile(probe)
        guard temporary >= 0 else {
            return "its file system (\(name(of: directory))) does not support O_TMPFILE (\(Errno(rawValue: errno))), which overlayfs needs for copy-up"
        }
        close(temporary)
        return nil
    }

    /// True when readdir reports a type (not DT_UNKNOWN) for `name` in `directory`.
    private static func directoryEntryTypeKnown(_ directory: String, name: String) -> Bool {
        guard let stream = opendir(directory) else { return false }
        defer { closedir(stream) }
        while let entry = readdir(stream) {
            let entryName = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if entryName == name { return entry.pointee.d_type != UInt8(DT_UNKNOWN) }
        }
        return false
    }
}
