import Glibc

/// Ending processes strata did not start itself but knows by pid: the
/// execute commands of a testbed, which register themselves.
public enum ProcessSignal {
    /// Sends SIGTERM to `pid` if it is still a process whose command line
    /// holds `argument` (a reused pid belongs to someone else and is left
    /// alone). True when the signal was sent.
    @discardableResult
    public static func terminate(_ pid: Int32, ifCommandLineHolds argument: String) -> Bool {
        guard pid > 1, let bytes = try? FileTree.readFile("/proc/\(pid)/cmdline") else { return false }
        let arguments = bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard arguments.contains(argument) else { return false }
        return kill(pid, SIGTERM) == 0
    }
}
