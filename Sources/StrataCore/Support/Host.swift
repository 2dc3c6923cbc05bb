import StrataOS
import Synchronization

/// What the machine must offer before strata mounts anything.
public enum Host {
    private static let prepared = Mutex(false)

    /// Root, overlayfs, a private mount namespace for this process, and the
    /// SIGINT/SIGTERM handlers that let a build tear down before exiting. Call
    /// early in `main`, while the process has a single thread.
    /// Idempotent: a second call checks nothing and enters nothing.
    public static func prepareForMounts() throws(StrataError) {
        if prepared.withLock({ $0 }) { return }
        if !CurrentProcess.isRoot {
            throw .environment("strata must run as root: it mounts overlay file systems and creates namespaces; run it with sudo or as root")
        }
        if !HostMachine.hasOverlayFS {
            throw .environment("this kernel does not offer overlayfs; load it with 'modprobe overlay' and try again")
        }
        Termination.install()
        do {
            try MountNamespace.enterPrivate()
        } catch {
            throw .environment("cannot enter a private mount namespace: \(error); strata needs CAP_SYS_ADMIN: run it as root, outside a container that forbids unshare")
        }
        prepared.withLock { $0 = true }
    }
}
