import Glibc
import StrataOS

/// What the machine must offer before strata mounts anything.
public enum Host {
    /// Root, overlayfs, a private mount namespace for this process, and the
    /// SIGINT/SIGTERM handlers that let a build tear down before exiting. Call
    /// early in `main`, while the process has a single thread.
    public static func prepareForMounts() throws(StrataError) {
        if geteuid() != 0 {
            throw .environment("strata must run as root: it mounts overlay file systems and creates namespaces; run it with sudo or as root")
        }
        let filesystems = (try? FileTree.readFile("/proc/filesystems")).map { String(decoding: $0, as: UTF8.self) } ?? ""
        if !filesystems.split(separator: "\n").contains(where: { $0.hasSuffix("\toverlay") }) {
            throw .environment("this kernel does not offer overlayfs; load it with 'modprobe overlay' and try again")
        }
        Termination.install()
        do {
            try MountNamespace.enterPrivate()
        } catch {
            throw .environment("cannot enter a private mount namespace: \(error); strata needs CAP_SYS_ADMIN: run it as root, outside a container that forbids unshare")
        }
    }
}
