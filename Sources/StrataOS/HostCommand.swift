import Glibc

/// A program run on the host, in strata's own namespaces and identity (the
/// host's `tar` at the other end of a testbed copy): found in PATH, with the
/// standard streams given, strata's environment, and default signal handling.
public struct HostCommand: Sendable {
    public var arguments: [String]

    public init(_ arguments: [String]) {
        self.arguments = arguments
    }

    /// Starts the program; -1 for a stream leaves strata's own.
    public func start(stdin: Int32 = -1, stdout: Int32 = -1, stderr: Int32 = -1) throws(SystemError) -> RunningCommand {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (from, to) in [(stdin, Int32(0)), (stdout, 1), (stderr, 2)] where from >= 0 {
            posix_spawn_file_actions_adddup2(&actions, from, to)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv = CStringArray(arguments)
        var pid: pid_t = 0
        let result = withExtendedLifetime(argv) {
            argv.base.withMemoryRebound(to: UnsafeMutablePointer<CChar>?.self, capacity: arguments.count + 1) { vector in
                posix_spawnp(&pid, arguments[0], &actions, &attributes, vector, environ)
            }
        }
        if result != 0 { throw SystemError("start \(arguments[0]) on the host", errno: result) }
        return RunningCommand(pid: pid)
    }
}
