import StrataOS

/// Opens a lock file and takes it, waiting at most `timeout` seconds; the
/// one place a lock wait becomes a message a user can act on.
func acquireLock(_ path: String, _ mode: FileLock.Mode, what: String, timeout: Double) throws(StrataError) -> FileLock {
    let lock = try during("open lock file \(path)") { try FileLock(path: path) }
    try wait(for: lock, mode, what: what, timeout: timeout)
    return lock
}

func wait(for lock: FileLock, _ mode: FileLock.Mode, what: String, timeout: Double) throws(StrataError) {
    do {
        try lock.lock(mode, timeout: timeout)
    } catch {
        switch error {
        case .timedOut(let path, let holders):
            throw .environment("timed out after \(Int(timeout)) s waiting for \(what) (\(path), \(LockHolders.describe(holders))); wait for that process, or raise --lock-timeout")
        case .interrupted:
            try StrataError.checkInterruption()
            throw .environment("interrupted while waiting for \(what)")
        case .failed(let system):
            throw .system(system, while: "lock \(what)")
        }
    }
}
