import Glibc

/// This process: its id, whether it runs as root, its environment.
public enum CurrentProcess {
    public static var id: Int32 { getpid() }

    /// True when the effective user is root (in the current user namespace).
    public static var isRoot: Bool { geteuid() == 0 }

    /// The real user and group ids, as the current user namespace sees them.
    public static var userID: UInt32 { getuid() }
    public static var groupID: UInt32 { getgid() }

    /// The name of the real user (getpwuid), nil when it has none.
    public static var userName: String? {
        guard let entry = getpwuid(getuid()), let name = entry.pointee.pw_name else { return nil }
        return String(cString: name)
    }

    /// The working directory (getcwd), nil when it cannot be named.
    public static var workingDirectory: String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        return getcwd(&buffer, buffer.count).map { String(cString: $0) }
    }

    /// The executable this process runs (/proc/self/exe), nil when unknown.
    public static var executablePath: String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Makes descriptor 1 a copy of descriptor 2 and returns a new
    /// close-on-exec descriptor of what 1 was: a server keeps its protocol
    /// there, and stray writes to standard output (by strata or a command it
    /// starts) land on standard error instead.
    public static func reserveStandardOutput() throws(SystemError) -> Int32 {
        let reserved = fcntl(1, F_DUPFD_CLOEXEC, 3)
        if reserved < 0 { throw SystemError("duplicate standard output") }
        if dup2(2, 1) < 0 { throw SystemError("redirect standard output to standard error") }
        return reserved
    }

    /// True when standard output and standard error are both terminals: a
    /// person is watching, and a progress line may be redrawn in place.
    public static var outputIsTerminal: Bool { isatty(1) == 1 && isatty(2) == 1 }

    /// One variable of the environment, as it is now (setenv included).
    public static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// Sleeps until a signal ends the process; never returns (a test hook:
    /// the test kills the paused process).
    public static func waitForSignals() -> Never {
        while true { _ = pause() }
    }
}
