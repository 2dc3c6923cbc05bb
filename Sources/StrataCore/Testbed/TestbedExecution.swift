import StrataOS

/// `strata virt-exec`: what the virtualisation server's
/// print-execute-command names. Runs one command in an open testbed with the
/// caller's standard streams: joins the server's namespaces (the root is
/// mounted there), then starts the command as the testbed's root in
/// namespaces of its own. A SIGTERM or SIGINT (autopkgtest's timeout) ends
/// the command and everything it started.
public enum TestbedExecution {
    /// Returns the command's exit status (128 + signal when it was killed).
    public static func run(handle path: String, arguments: [String]) throws(StrataError) -> Int32 {
        let handle = try TestbedHandle.read(from: path)
        // Registered, so that revert and close end this command (and removed when it ends).
        let registration = Testbed.commandsDirectory(handle: path) + "/\(CurrentProcess.id)"
        try? FileTree.makeDirectory(Testbed.commandsDirectory(handle: path), existingOK: true)
        try? FileTree.writeFile(registration, [])
        defer { try? FileTree.removeFile(registration) }
        var namespace: UserNamespace?
        if let held = handle.userNamespace {
            namespace = try during("open the testbed's user namespace") {
                try UserNamespace.open(process: handle.pid, descriptor: held.descriptor, mapping: held.mapping)
            }
        }
        do {
            try MountNamespace.join(process: handle.pid, identity: handle.mountNamespace)
        } catch {
            throw .environment("the testbed of \(path) is not open any more (its strata virt-server, process \(handle.pid), is gone): \(error)")
        }
        Termination.install()
        let command = IsolatedCommand(root: handle.root, workingDirectory: "/",
                                      arguments: RootCommand(arguments: arguments).rootArguments,
                                      environment: handle.environment, network: handle.network, userNamespace: namespace)
        return try during("run \(arguments.first ?? "the command") in the testbed") { try command.start().wait() }
    }
}
