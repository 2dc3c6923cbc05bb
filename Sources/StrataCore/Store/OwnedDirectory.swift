import StrataOS

/// A directory that belongs to one running strata process: a build's
/// scratch (`builds/<id>`) or a layer being made (`layers/.tmp-<id>`). Its
/// owner holds an exclusive flock on `locks/<kind>-<id>.lock`, taken before
/// the directory is created and released after it is removed, so a
/// directory whose lock can be taken (or has no lock file) has no living
/// owner and is left over from a killed process.
struct OwnedDirectory {
    let path: String
    let lock: FileLock
    private let lockPath: String

    /// Locks, then creates `parent/<prefix><id>`.
    static func create(in parent: String, prefix: String, store: Store) throws(StrataError) -> OwnedDirectory {
        let id = randomIdentifier()
        let path = parent + "/" + prefix + id
        let lockPath = lockFile(for: path, store: store)
        return try during("create \(path)") {
            let lock = try FileLock(path: lockPath)
            try lock.lock(.exclusive)
            do {
                try FileTree.makeDirectory(path)
            } catch {
                try? FileTree.removeFile(lockPath)
                throw error
            }
            return OwnedDirectory(path: path, lock: lock, lockPath: lockPath)
        }
    }

    /// Takes over an existing directory by renaming it to `parent/<prefix><id>`
    /// under a new lock, e.g. a layer about to be deleted.
    static func claim(_ existing: String, in parent: String, prefix: String, store: Store) throws(StrataError) -> OwnedDirectory {
        let path = parent + "/" + prefix + randomIdentifier()
        let lockPath = lockFile(for: path, store: store)
        return try during("move \(existing) out of the way") {
            let lock = try FileLock(path: lockPath)
            try lock.lock(.exclusive)
            do {
                try FileTree.rename(existing, to: path)
            } catch {
                try? FileTree.removeFile(lockPath)
                throw error
            }
            return OwnedDirectory(path: path, lock: lock, lockPath: lockPath)
        }
    }

    /// Gives up ownership once the directory is gone (removed or renamed).
    func release() {
        try? FileTree.removeFile(lockPath)
        lock.unlock()
    }

    /// `locks/build-<id>.lock` for `builds/<id>`, `locks/tmp-<id>.lock` for `layers/.tmp-<id>`.
    static func lockFile(for path: String, store: Store) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? ""
        let kind = path.hasPrefix(store.builds + "/") ? "build-" : ""
        return store.locks + "/" + kind + (name.hasPrefix(".") ? String(name.dropFirst()) : name) + ".lock"
    }
}
