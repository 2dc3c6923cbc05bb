/// Space a tree takes on disk, measured as `du` does: allocated blocks,
/// each hard-linked file counted once, never following symlinks. Walks
/// through descriptors (`DirectoryWalk`): any depth, any name length.
public enum DiskUsage {
    public static func bytes(of path: String) throws(SystemError) -> UInt64 {
        var seen = Set<[UInt64]>()
        var total: UInt64 = 0
        let walk = DirectoryWalk(top: path, sorted: false)
        while true {
            if let name = walk.next() {
                let status = try walk.status(of: name)
                if status.kind != .directory && status.linkCount > 1 {
                    if !seen.insert([status.device, status.inode]).inserted { continue }
                }
                total += UInt64(max(0, status.blocks)) * 512
                if status.kind == .directory { try walk.descend(into: name, status: status) }
            } else if try walk.ascend() == nil {
                return total
            }
        }
    }
}
