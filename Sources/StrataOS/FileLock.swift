import CStrataSpawn
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

    /// Takes the lock, waiting at most `timeout` seconds. Throws
    /// `LockWaitError.timedOut` (naming the holders) or `.interrupted` when
    /// SIGINT or SIGTERM arrived while waiting.
    public func lock(_ mode: Mode, timeout seconds: Double) throws(LockWaitError) {
        let milliseconds = Int(max(0, seconds) * 1000)
        if strata_flock_timeout(descriptor, operation(mode), milliseconds) == 0 { return }
        switch errno {
        case ETIMEDOUT: throw .timedOut(path: path, holders: holders())
        case EINTR: throw .interrupted
        default: throw .failed(SystemError("lock", path: path))
        }
    }

    /// The processes holding an flock on this file, from /proc/locks.
    public func holders() -> [Int32] {
        var info = stat()
        guard fstat(descriptor, &info) == 0,
              let table = try? FileTree.readFile("/proc/locks") else { return [] }
        let device = String(format2: strata_major(info.st_dev)) + ":" + String(format2: strata_minor(info.st_dev))
        let suffix = "\(device):\(info.st_ino)"
        return String(decoding: table, as: UTF8.self).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count >= 6, fields[1] == "FLOCK", fields[5] == suffix else { return nil }
            return Int32(fields[4])
        }
    }

    public func unlock() {
        _ = flock(descriptor, LOCK_UN)
    }

    private func operation(_ mode: Mode) -> Int32 {
        mode == .shared ? LOCK_SH : LOCK_EX
    }
}

/// Why a timed lock wait ended without the lock.
public enum LockWaitError: Error, Sendable {
    case timedOut(path: String, holders: [Int32])
    case interrupted
    case failed(SystemError)
}

extension String {
    /// Two lowercase hex digits at least, as /proc/locks prints device numbers.
    init(format2 value: UInt32) {
        let hex = String(value, radix: 16)
        self = hex.count < 2 ? "0" + hex : hex
    }
}
