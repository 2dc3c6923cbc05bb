import StrataOS

/// Removes what killed strata processes left behind: scratch directories
/// under builds/, and temporaries under layers/.tmp-* and images/.tmp-*
/// (layers and images being made or removed), whose owner is gone (see
/// `OwnedDirectory`). A failed build kept with --keep-failed
/// (marked `kept`) stays until removed by hand.
struct StaleSweeper {
    let store: Store

    func sweep() {
        let candidates = ((try? directoryEntries(store.builds)) ?? []).map { store.builds + "/" + $0 }
            + [store.layers, store.images].flatMap { parent in
                ((try? directoryEntries(parent)) ?? []).filter { $0.hasPrefix(".tmp-") }.map { parent + "/" + $0 }
            }
        for directory in candidates {
            if (try? FileStatus.ifExists(directory + "/kept")) != nil { continue }
            let lockPath = OwnedDirectory.lockFile(for: directory, store: store)
            let lock = try? FileLock(path: lockPath, create: false)
            if let lock, (try? lock.tryLock(.exclusive)) != true { continue }
            // Nothing holds it: its owner died. Removed under the lock, so
            // that two sweepers never work on the same directory.
            try? FileTree.remove(directory)
            if lock != nil { try? FileTree.removeFile(lockPath) }
        }
    }
}
