import Glibc

/// An flock(2) lock on a file, held while this object lives (or until `unlock`).
public final class FileLock {
    public enum Mode: Sendable { case shared, exclusive }

    public let path: String
    private let descriptor: Int32

    /// Opens the lock file, creating it unless `create` is false; does not lock yet.
    public init(path: String, create: Bool = true) throws(SystemError) {
        self.path = path
        let fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0o644)
        if fd < 0 { throw SystemError("open lock file", path: path) }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// Takes the lock, waiting for it. Retries when interrupted.
    public func lock(_ mode: Mode) throws(SystemError) {
        try retryingInterrupts("lock", path: path) { flock(descriptor, operation(mode)) }
    }

    /// Takes the lock if it is free; returns false when another holder has it.
    public func tryLock(_ mode: Mode) throws(SystemError) -> Bool {
        while true {
            if flock(descriptor, operation(mode) | LOCK_NB) == 0 { return true }
            switch errno {
            case EINTR: continue
            case EWOULDBLOCK: return false
            default: throw SystemError("lock", path: path)
            }
        }
    }

    public func unlock() {
        _ = flock(descriptor, LOCK_UN)
    }

    private func operation(_ mode: Mode) -> Int32 {
        mode == .shared ? LOCK_SH : LOCK_EX
    }
}
