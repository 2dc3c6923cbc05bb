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
