import CStrataSpawn
import Glibc

/// A command to run in its own mount, PID, UTS and IPC namespaces (and
/// network namespace, unless networking is allowed), with `root` as its root
/// (pivot_root, the old root detached), limited capabilities and no_new_privs.
/// Ending its PID namespace's init ends every process it made.
public struct IsolatedCommand: Sendable {
    public struct Identity: Sendable, Hashable {
        public var uid: UInt32
        public var gid: UInt32
        public init(uid: UInt32, gid: UInt32) { self.uid = uid; self.gid = gid }
    }

    /// Host path of the root to enter.
    public var root: String
    /// Working directory inside the root.
    public var workingDirectory: String
    /// The program and its arguments; the program is an absolute path inside the root.
    public var arguments: [String]
    public var environment: [String: String]
    public var network: Bool
    /// Mount a proc (for the new PID namespace) at root/proc and sysfs read-only at root/sys.
    public var mountProcAndSys: Bool
    public var identity: Identity?
    public var hostname: String?
    /// A user namespace to run in, as its root (uid 0 inside, the mapping's
    /// range on the host); nil: strata's own.
    public var userNamespace: UserNamespace?

    public init(
        root: String, workingDirectory: String = "/", arguments: [String],
        environment: [String: String] = [:], network: Bool = false,
        mountProcAndSys: Bool = true, identity: Identity? = nil, hostname: String? = "strata",
        userNamespace: UserNamespace? = nil
    ) {
        self.userNamespace = userNamespace
        self.root = root
        self.workingDirectory = workingDirectory
        self.arguments = arguments
        self.environment = environment
        self.network = network
        self.mountProcAndSys = mountProcAndSys
        self.identity = identity
        self.hostname = hostname
    }

    /// Starts the command; standard streams default to strata's own.
    public func start(stdin: Int32 = -1, stdout: Int32 = -1, stderr: Int32 = -1) throws(SystemError) -> RunningCommand {
        let env = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let argv = CStringArray(arguments)
        let envp = CStringArray(env)
        // Where proc and sysfs go, resolved inside the root: a link planted at
        // /proc or /sys leads somewhere inside it, never outside.
        let proc = mountProcAndSys ? try RootPath.resolve("/proc", in: root, create: .directory)?.host ?? "" : ""
        let sys = mountProcAndSys ? try RootPath.resolve("/sys", in: root, create: .directory)?.host ?? "" : ""
        let cRoot = CStringArray([root, workingDirectory, proc, sys, hostname ?? ""])
        var request = strata_spawn_request()
        request.root = cRoot.pointer(0)
        request.workdir = cRoot.pointer(1)
        request.argv = UnsafePointer(argv.base)
        request.envp = UnsafePointer(envp.base)
        request.stdin_fd = stdin
        request.stdout_fd = stdout
        request.stderr_fd = stderr
        request.isolate_network = network ? 0 : 1
        request.proc_path = mountProcAndSys ? cRoot.pointer(2) : nil
        request.sysfs_path = mountProcAndSys ? cRoot.pointer(3) : nil
        if let identity {
            request.change_ids = 1
            request.uid = identity.uid
            request.gid = identity.gid
        }
        request.hostname = hostname == nil ? nil : cRoot.pointer(4)
        request.userns_fd = userNamespace?.descriptor ?? -1
        var failure = strata_spawn_failure()
        let pid = withExtendedLifetime((argv, envp, cRoot, userNamespace)) { strata_spawn(&request, &failure) }
        if pid < 0 {
            throw SystemError("start \(arguments.first ?? "command"): \(Self.describe(failure.step))",
                              path: root, errno: failure.error)
        }
        Termination.setForegroundChild(pid)
        return RunningCommand(pid: pid)
    }

    /// Runs to the end; returns the exit status (128 + signal when killed).
    public func run() throws(SystemError) -> Int32 {
        try start().wait()
    }

    /// Runs to the end, collecting standard output; standard error stays strata's.
    public func runCollectingOutput() throws(SystemError) -> (status: Int32, output: [UInt8]) {
        var fds: [Int32] = [0, 0]
        if strata_pipe_cloexec(&fds) != 0 { throw SystemError("create a pipe") }
        let running: RunningCommand
        do {
            running = try start(stdout: fds[1])
        } catch {
            close(fds[0]); close(fds[1])
            throw error
        }
        close(fds[1])
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if count > 0 { output.append(contentsOf: buffer[0..<count]); continue }
            if count < 0 && errno == EINTR { continue }
            break
        }
        close(fds[0])
        return (try running.wait(), output)
    }

    static func describe(_ step: strata_spawn_step) -> String {
        switch step {
        case STRATA_STEP_PIPE: "pipe"
        case STRATA_STEP_FORK_SUPERVISOR, STRATA_STEP_FORK_INIT, STRATA_STEP_FORK_COMMAND: "fork"
        case STRATA_STEP_PARENT_DEATH_SIGNAL: "parent died during start"
        case STRATA_STEP_USER_NAMESPACE: "enter the user namespace"
        case STRATA_STEP_UNSHARE: "unshare namespaces"
        case STRATA_STEP_MOUNT_PROC: "mount proc"
        case STRATA_STEP_MOUNT_SYSFS: "mount sysfs"
        case STRATA_STEP_LOOPBACK: "bring up loopback"
        case STRATA_STEP_HOSTNAME: "set host name"
        case STRATA_STEP_PIVOT_ROOT: "enter the root (pivot_root)"
        case STRATA_STEP_CHDIR: "change to the working directory"
        case STRATA_STEP_DROP_PRIVILEGES: "switch to the build user"
        case STRATA_STEP_CAPABILITIES: "limit capabilities"
        case STRATA_STEP_NO_NEW_PRIVS: "set no_new_privs"
        case STRATA_STEP_STDIO: "set up standard streams"
        case STRATA_STEP_EXEC: "exec"
        default: "unknown step"
        }
    }
}

/// A started command. Its pid is that of the supervising process: killing it
/// ends the whole process tree of the command.
public struct RunningCommand: Sendable {
    public let pid: Int32

    /// The status of a command killed by SIGPIPE: it wrote to a pipe whose reader had stopped.
    public static let brokenPipeStatus: Int32 = 128 + SIGPIPE

    public func wait() throws(SystemError) -> Int32 {
        var status: Int32 = 0
        defer { Termination.setForegroundChild(0) }
        if strata_wait(pid, &status) != 0 { throw SystemError("wait for process \(pid)") }
        return status
    }

    /// As `wait()`, for at most `seconds`: nil when it still runs then (it
    /// is left running; `kill()` ends it).
    public func wait(timeout seconds: Double) throws(SystemError) -> Int32? {
        var status: Int32 = 0
        switch strata_wait_timeout(pid, Int(seconds * 1000), &status) {
        case 0: return status
        case 1: return nil
        default: throw SystemError("wait for process \(pid)")
        }
    }

    /// Ends the process (and, for an isolated command, every process it made).
    public func kill() {
        _ = Glibc.kill(pid, SIGKILL)
    }
}
