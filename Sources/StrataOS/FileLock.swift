import CStrataSpawn
import Glibc

/// An flock(2) lock on a file, held while this object lives (or until `unlock`).
///
/// A holder may unlink the lock file while it holds the lock exclusively (a
/// removed layer takes its lock file with it). Whoever was waiting on the old
/// file would then hold a lock nobody else can see, so every successful lock
/// checks that the file it locked is still the one at `path`, and otherwise
/// opens the new file and locks again.
public final class FileLock {
    public enum Mode: Sendable { case shared, exclusive }

    public let path: String
    private let create: Bool
    private var descriptor: Int32

    /// Opens the lock file, creating it unless `create` is false; does not lock yet.
    public init(path: String, create: Bool = true) throws(SystemError) {
        self.path = path
        self.create = create
        descriptor = try Self.open(path, create: create)
    }

    deinit { close(descriptor) }

    private static func open(_ path: String, create: Bool) throws(SystemError) -> Int32 {
        let fd = Glibc.open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0o644)
        if fd < 0 { throw SystemError("open lock file", path: path) }
        return fd
    }

    /// After a successful flock: true when the locked file is still the one at
    /// `path`. Otherwise drops the stale lock and opens the current file, so
    /// that the caller locks again; without `create`, a file that is gone
    /// counts as locked (nobody can take it any more).
    private func stillAtPath() throws(SystemError) -> Bool {
        var locked = stat()
        var current = stat()
        guard fstat(descriptor, &locked) == 0 else { throw SystemError("fstat lock file", path: path) }
        if stat(path, &current) == 0 && current.st_dev == locked.st_dev && current.st_ino == locked.st_ino {
            return true
        }
        if !create && errno == ENOENT { return true }
        let fresh = try Self.open(path, create: create)
        close(descriptor)
        descriptor = fresh
        return false
    }

    /// Takes the lock, waiting for it. Retries when interrupted.
    public func lock(_ mode: Mode) throws(SystemError) {
        repeat {
            try retryingInterrupts("lock", path: path) { flock(descriptor, operation(mode)) }
        } while try !stillAtPath()
    }

    /// Takes the lock if it is free; returns false when another holder has it.
    public func tryLock(_ mode: Mode) throws(SystemError) -> Bool {
        while true {
            if flock(descriptor, operation(mode) | LOCK_NB) == 0 {
                if try stillAtPath() { return true }
                continue
            }
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
        let deadline = MonotonicClock.now + max(0, seconds)
        while true {
            let milliseconds = Int(max(0, deadline - MonotonicClock.now) * 1000)
            if strata_flock_timeout(descriptor, operation(mode), milliseconds) == 0 {
                do {
                    if try stillAtPath() { return }
                } catch {
                    throw .failed(error)
                }
                continue
            }
            switch errno {
            case ETIMEDOUT: throw .timedOut(path: path, holders: holders())
            case EINTR: throw .interrupted
            default: throw .failed(SystemError("lock", path: path))
            }
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

/// Seconds on CLOCK_MONOTONIC, for deadlines that wall-clock changes cannot move.
enum MonotonicClock {
    static var now: Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
