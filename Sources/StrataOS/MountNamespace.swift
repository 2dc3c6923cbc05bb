import CStrataSpawn
import Glibc

/// Strata's own mount namespace. Every mount Strata makes lives in it, so the
/// kernel removes them all when the process ends, whatever ends it.
public enum MountNamespace {
    /// Moves the process into a new, private mount namespace.
    ///
    /// Namespaces belong to threads: call this first thing in `main`, while
    /// the process has one thread, or the other threads keep the host's mount
    /// namespace. It refuses to run in a multithreaded process for that reason.
    public static func enterPrivate() throws(SystemError) {
        let threads = threadCount()
        if threads > 1 {
            throw SystemError(
                "enter a private mount namespace (the process already has \(threads) threads; call it first in main)",
                errno: EINVAL)
        }
        if strata_enter_private_mount_namespace() != 0 {
            throw SystemError("unshare the mount namespace")
        }
    }

    /// This process's mount namespace (the inode of /proc/self/ns/mnt): with
    /// the pid, what another process needs to join it (`join`).
    public static var identity: UInt64 { UInt64(strata_mount_namespace_id()) }

    /// Moves this single-threaded process into the mount namespace of
    /// process `pid` (and first into its user namespace, when that is not
    /// this process's own), provided the namespace is still `identity`:
    /// a pid reused by another process is refused (ESRCH).
    public static func join(process pid: Int32, identity: UInt64) throws(SystemError) {
        if strata_join_namespaces(pid, identity) != 0 {
            throw SystemError("join the namespaces of process \(pid)")
        }
    }

    /// The number of threads of this process, from /proc/self/task.
    public static func threadCount() -> Int {
        (try? directoryEntries("/proc/self/task").count) ?? 1
    }
}
