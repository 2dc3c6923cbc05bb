import Glibc

/// Space a tree takes on disk, measured as `du` does: allocated blocks,
/// each hard-linked file counted once, never following symlinks.
public enum DiskUsage {
    public static func bytes(of path: String) throws(SystemError) -> UInt64 {
        var seen = Set<[UInt64]>()
        return try walk(path, seen: &seen)
    }

    private static func walk(_ path: String, seen: inout Set<[UInt64]>) throws(SystemError) -> UInt64 {
        let status = try FileStatus(path: path)
        if status.kind != .directory && status.linkCount > 1 {
            if !seen.insert([status.device, status.inode]).inserted { return 0 }
        }
        var total = UInt64(max(0, status.blocks)) * 512
        if status.kind == .directory {
            for name in try directoryEntries(path) {
                total += try walk(path + "/" + name, seen: &seen)
            }
        }
        return total
    }
}
