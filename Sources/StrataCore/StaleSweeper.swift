import Glibc
import StrataOS

/// Removes what killed strata processes left behind: scratch directories
/// under builds/ and temporary layers under layers/.tmp-*. Each is owned
/// through an flock on its `lock` file; one whose lock can be taken has no
/// living owner. A failed build kept with --keep-failed (marked `kept`) stays.
struct StaleSweeper {
    let store: Store

    /// Directories whose lock file is missing are being created right now,
    /// unless they are older than this.
    static let creationGrace: Int = 600

    func sweep() {
        let candidates = ((try? directoryEntries(store.builds)) ?? []).map { store.builds + "/" + $0 }
            + ((try? directoryEntries(store.layers)) ?? []).filter { $0.hasPrefix(".tmp-") }.map { store.layers + "/" + $0 }
        for directory in candidates where isAbandoned(directory) {
            try? FileTree.remove(directory)
        }
    }

    private func isAbandoned(_ directory: String) -> Bool {
        if (try? FileStatus.ifExists(directory + "/kept")) != nil { return false }
        guard (try? FileStatus.ifExists(directory + "/lock")) != nil else {
            guard let status = try? FileStatus(path: directory) else { return false }
            return time(nil) - status.modificationTime > Self.creationGrace
        }
        guard let lock = try? FileLock(path: directory + "/lock") else { return false }
        return (try? lock.tryLock(.exclusive)) == true
    }
}
