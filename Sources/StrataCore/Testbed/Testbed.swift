import StrataOS

/// One autopkgtest testbed (`strata virt-server`): a scratch root of a
/// profile, over the deps layer of a source when one is given, kept mounted
/// in strata's namespace between requests. Reverting tears the scratch down
/// and mounts a fresh one over the same layers; closing removes it and
/// releases the layers. Commands reach it through `strata virt-exec` and
/// the handle it reads (`TestbedHandle`), each in namespaces of its own.
public final class Testbed {
    /// The testbed's scratch space, inside the root (on its /tmp, fresh after a revert).
    public static let scratchSpace = "/tmp/autopkgtest-strata"

    /// Why a copy failed, answered to the client instead of `ok`.
    public enum CopyFailure: Error {
        /// The client's `copy-failed`, with what went wrong for the log.
        case failed(String)
        /// The copy did not end within `copyTimeout`.
        case timedOut
    }

    let session: BuildSession
    let lowers: [String]
    let network: Bool
    /// Seconds a copy may take before it is ended and answered `timeout`.
    public var copyTimeout: Double
    private var root: BuildRoot?
    private var handle: TestbedHandle?
    private var handlePath: String { session.directory + "/testbed.json" }
    /// Where execute commands register while they run: one empty file per pid.
    static func commandsDirectory(handle: String) -> String { handle + ".commands" }

    init(session: BuildSession, lowers: [String], network: Bool, copyTimeout: Double) {
        self.session = session
        self.lowers = lowers
        self.network = network
        self.copyTimeout = copyTimeout
    }

    /// Mounts the root with its system mounts and scratch space; returns the scratch space.
    public func open() throws(StrataError) -> String {
        let root = try session.mountScratch(lowers: lowers)
        do throws(StrataError) {
            try root.mountSystem(network: network)
            try root.bind(session.profile.mounts, profile: session.profile.path)
            self.root = root
            var handle = TestbedHandle(pid: CurrentProcess.id, mountNamespace: MountNamespace.identity, root: root.path,
                                       network: network, environment: session.environment())
            if let namespace = root.userNamespace {
                handle.userNamespace = .init(descriptor: namespace.descriptor, mapping: namespace.mapping)
            }
            self.handle = handle
            let status = try run(["/bin/sh", "-ec", "mkdir -p -m 1777 -- \"$1\"; chmod 1777 -- \"$1\"", "sh", Self.scratchSpace])
            if status != 0 {
                throw StrataError.environment("cannot create \(Self.scratchSpace) in the testbed (mkdir exited \(status)); the root needs /bin/sh and mkdir")
            }
            try handle.write(to: handlePath)
        } catch {
            self.root = nil
            handle = nil
            root.teardown()
            throw error
        }
        return Self.scratchSpace
    }

    /// A fresh scratch root over the same layers; returns the scratch space.
    /// A command still running from before keeps the old root, which no
    /// longer reaches the testbed.
    public func revert() throws(StrataError) -> String {
        try tearDown()
        try session.removeScratch()
        return try open()
    }

    /// Unmounts the root and ends the session (its directory and locks).
    public func close() {
        _ = try? tearDown()
        session.close()
    }

    private func tearDown() throws(StrataError) {
        handle = nil
        try? FileTree.remove(handlePath)
        endCommands()
        guard let root else { return }
        self.root = nil
        try session.tearDown(root)
    }

    /// Ends the execute commands still running (revert and close give the
    /// testbed back without them): each registered pid that is still an
    /// execute command of this testbed gets SIGTERM, which ends its command
    /// and everything the command started.
    private func endCommands() {
        let directory = Self.commandsDirectory(handle: handlePath)
        for name in (try? directoryEntries(directory)) ?? [] {
            if let pid = Int32(name) { ProcessSignal.terminate(pid, ifCommandLineHolds: handlePath) }
        }
        try? FileTree.remove(directory)
    }

    /// The argument vector that runs a command in the testbed:
    /// `strata virt-exec HANDLE`, the command to be appended.
    public func executeCommand(strata: String) -> [String] {
        [strata, "virt-exec", handlePath, "--"]
    }

    /// `copydown`: a host file or directory (both paths ending in / for a
    /// directory) into the testbed, as autopkgtest's own servers do it: a
    /// file through `cat` in the testbed (made executable when the source
    /// is), a directory through tar at both ends, extracted without owners.
    public func copyDown(host: String, testbed: String, directory: Bool) throws(CopyFailure) {
        if !directory {
            // Only a regular file: opening a FIFO would wait for a writer, past any timeout.
            guard let status = try? FileStatus(followingLinks: host), status.kind == .regular else {
                throw .failed("\(host) is not a regular file")
            }
            let source: OpenFile
            do { source = try OpenFile.reading(host) } catch { throw .failed("\(host): \(error)") }
            let script = "cat > \"$1\"" + (status.permissions & 0o111 != 0 ? "; chmod +x -- \"$1\"" : "")
            try copy([CopyEnd(.testbed, ["/bin/sh", "-ec", script, "sh", testbed], stdin: source.descriptor)])
            return
        }
        try pipeline(
            from: CopyEnd(.host, ["tar", "--warning=none", "--directory", host, "--create", "--file", "-", "."]),
            to: CopyEnd(.testbed, ["/bin/sh", "-ec", "if ! test -d \"$1\"; then mkdir -- \"$1\"; fi; cd \"$1\"; tar -xpof -", "sh", testbed]))
    }

    /// `copyup`: a testbed file or directory to the host, the other way round.
    public func copyUp(testbed: String, host: String, directory: Bool) throws(CopyFailure) {
        if !directory {
            if let existing = try? FileStatus(followingLinks: host), existing.kind != .regular {
                throw .failed("\(host) exists and is not a regular file")
            }
            let destination: OpenFile
            do { destination = try OpenFile.writing(host) } catch { throw .failed("\(host): \(error)") }
            try copy([CopyEnd(.testbed, ["/bin/sh", "-ec", "cat < \"$1\"", "sh", testbed], stdout: destination.descriptor)])
            return
        }
        do { try FileTree.makeDirectory(host, existingOK: true) } catch { throw .failed("\(host): \(error)") }
        try pipeline(
            from: CopyEnd(.testbed, ["/bin/sh", "-ec", "cd \"$1\"; tar -cf - .", "sh", testbed]),
            to: CopyEnd(.host, ["tar", "--warning=none", "--directory", host, "--extract", "--preserve-permissions",
                       "--no-same-owner", "--file", "-"]))
    }

    /// `shell`: an interactive shell in the testbed on the terminal, in
    /// `directory` with `variables` (NAME=value) set.
    public func shell(directory: String, variables: [String]) throws(StrataError) {
        let terminal: OpenFile
        do { terminal = try OpenFile.terminal() } catch {
            throw .environment("no terminal for the testbed's shell: \(error)")
        }
        var command = self.command(["/bin/sh", "-c", "cd \"$1\" || exit; shift; for v; do export \"$v\"; done; exec bash -i 2>/dev/null || exec sh -i",
                                    "sh", directory] + variables)
        command.environment["TERM"] = CurrentProcess.environment("TERM") ?? "xterm"
        _ = try during("run a shell in the testbed") {
            try command.start(stdin: terminal.descriptor, stdout: terminal.descriptor, stderr: terminal.descriptor).wait()
        }
    }

    /// One end of a copy: a command in the testbed or on the host, with its
    /// standard input (-1: strata's) and output (default: strata's standard
    /// error, so that the protocol's stream stays clean).
    struct CopyEnd {
        enum Place { case testbed, host }
        var place: Place
        var arguments: [String]
        var stdin: Int32 = -1
        var stdout: Int32 = 2

        init(_ place: Place, _ arguments: [String], stdin: Int32 = -1, stdout: Int32 = 2) {
            self.place = place
            self.arguments = arguments
            self.stdin = stdin
            self.stdout = stdout
        }

        var name: String {
            place == .host ? "the host's \(arguments[0])" : "the testbed's side for \(arguments.last ?? "")"
        }
    }

    /// Runs `source | destination`.
    private func pipeline(from source: CopyEnd, to destination: CopyEnd) throws(CopyFailure) {
        let pipe: (read: OpenFile, write: OpenFile)
        do { pipe = try OpenFile.pipe() } catch { throw .failed("\(error)") }
        var source = source, destination = destination
        source.stdout = pipe.write.descriptor
        destination.stdin = pipe.read.descriptor
        try copy([source, destination], closing: [pipe.read, pipe.write])
    }

    /// Starts the ends, closes `closing` in strata, and waits at most
    /// `copyTimeout` for all of them. A source killed by SIGPIPE is fine:
    /// its reader stopped.
    private func copy(_ ends: [CopyEnd], closing: [OpenFile] = []) throws(CopyFailure) {
        var running: [RunningCommand] = []
        defer { running.forEach { $0.kill() } }
        do {
            for end in ends {
                running.append(end.place == .testbed
                    ? try command(end.arguments).start(stdin: end.stdin, stdout: end.stdout)
                    : try HostCommand(end.arguments).start(stdin: end.stdin, stdout: end.stdout))
            }
        } catch {
            throw .failed("\(error)")
        }
        closing.forEach { $0.close() }
        let clock = Stopwatch()
        for (index, process) in running.enumerated() {
            let left = max(0, copyTimeout - Double(clock.elapsedMilliseconds) / 1000)
            let status: Int32?
            do { status = try process.wait(timeout: left) } catch { throw .failed("\(error)") }
            guard let status else { throw .timedOut }
            let isSource = index == 0 && running.count > 1
            if status != 0 && !(isSource && status == RunningCommand.brokenPipeStatus) {
                throw .failed("\(ends[index].name) exited \(status)")
            }
        }
        running.removeAll()
    }

    /// A command in the testbed as its root, in / with the testbed's environment.
    func command(_ arguments: [String]) -> IsolatedCommand {
        IsolatedCommand(root: session.mountPoint, workingDirectory: "/", arguments: arguments,
                        environment: handle?.environment ?? session.environment(), network: network,
                        userNamespace: root?.userNamespace)
    }

    private func run(_ arguments: [String]) throws(StrataError) -> Int32 {
        try during("run \(arguments[0]) in the testbed") { try command(arguments).start(stdout: 2).wait() }
    }
}
