import StrataOS

extension BuildSession {
    /// Builds the package of a ready plan: mounts the scratch layer over its
    /// layers, copies the source in, runs `[build] run`, copies `[build]
    /// output` out, and tears every mount down. The report's setup, build
    /// and teardown timings are filled in; `close()` (by the caller) removes
    /// the scratch, or keeps it when `keepFailed` and the build failed.
    public func build(_ ready: ReadyBuild, output: String, keepFailed: Bool) throws(StrataError) -> BuildReport {
        let plan = ready.plan
        var timings = BuildReport.Timings()
        let outputPath = Store.absolute(output)
        var clock = Stopwatch()
        let upper = directory + "/upper"
        let root = try mountScratch(lowers: ready.lowers)
        var status: Int32 = 0
        var artifacts: [String] = []
        do {
            let command = try prepareScratch(root, source: plan.source, network: profile.build.network)
            timings.setup = clock.elapsedMilliseconds
            clock = Stopwatch()
            logger.info("building: \(profile.build.run)")
            PausePoint.build.pauseIfRequested()
            status = try during("run the build command") { try command.start(stdout: 2).wait() }
            try StrataError.checkInterruption()
            timings.build = clock.elapsedMilliseconds
            clock = Stopwatch()
            if status == 0 {
                artifacts = try collectArtifacts(from: root, to: outputPath)
            }
            PausePoint.teardown.pauseIfRequested()
            try tearDown(root)
        } catch {
            root.teardown()
            throw error
        }
        if status != 0 && keepFailed { keep = true }
        timings.teardown = clock.elapsedMilliseconds
        let reportedLayers = plan.layers.map { layer in
            let origin = ready.origin(of: layer.key)
            return BuildReport.Layer(role: layer.role, key: layer.key, origin: origin,
                                     dependencies: layer.inputs.dependencies?.count,
                                     explanation: origin == .built ? layer.explanation : nil,
                                     standsOn: layer.standsOn, added: origin == .built ? layer.added : nil)
        }
        return BuildReport(profile: profile.name, source: plan.source, layers: reportedLayers,
                           build: .init(exitCode: status), artifacts: artifacts, output: outputPath,
                           keptScratch: keep ? upper : nil, timings: timings, resolution: plan.resolution,
                           warnings: warnings.isEmpty ? nil : warnings)
    }

    /// System mounts, binds, the build user, the source copy and the output
    /// directory; returns the command to run.
    private func prepareScratch(_ root: BuildRoot, source: String, network: Bool,
                                extraMounts: [Profile.BindMount] = []) throws(StrataError) -> IsolatedCommand {
        try root.mountSystem(network: network)
        try root.bind(profile.mounts, profile: profile.path)
        try bindExtra(extraMounts, in: root)
        let user = try profile.build.user.map { name throws(StrataError) in try BuildUser.ensure(name, in: root) }
        // Who owns /build and the source copy inside the root: the build user; without
        // one, the source's own owners, or root with a user namespace (whose range
        // holds none of the host's ids). Chowned from outside, hence in host ids.
        let inside = user?.identity ?? (root.userNamespace == nil ? nil : IsolatedCommand.Identity(uid: 0, gid: 0))
        let owner = inside.map(root.hostIdentity(of:))
        try during("copy the source into \(root.path)/build/src") { try root.asRoot { () throws(SystemError) in
            // Made inside the root when missing; a link at /build, the output
            // or the workdir (only an image or a layer can have put it there)
            // is refused, naming it.
            let inRoot = { (path: String) throws(SystemError) -> String in
                guard let resolved = try RootPath.resolve(path, in: root.path, create: .directory, followingLinks: false) else {
                    throw SystemError("resolve", path: root.path + path, errno: .noSuchFileOrDirectory)
                }
                return resolved.host
            }
            let build = try inRoot("/build")
            if let owner { try FileTree.changeOwner(build, to: owner) }
            if let existing = try RootPath.resolve("/build/src", in: root.path, followingLinks: false) {
                try FileTree.remove(existing.host)
            }
            try FileTree.copy(from: source, to: build + "/src", owner: owner)
            for directory in [profile.build.output, profile.build.workdir] {
                let path = try inRoot(directory)
                if let owner { try FileTree.changeOwner(path, to: owner) }
            }
        } }
        return IsolatedCommand(
            root: root.path, workingDirectory: profile.build.workdir,
            arguments: ["/bin/sh", "-c", profile.build.run],
            environment: environment(user: user?.name ?? "root", home: user?.home ?? "/root",
                                     adding: profile.build.environment.merging(settings.buildEnvironment) { $1 }),
            network: network, identity: user?.identity, userNamespace: root.userNamespace)
    }

    /// Copies each entry of `[build] output` into the output directory,
    /// owned by the output directory's owner. Returns the entry names.
    private func collectArtifacts(from root: BuildRoot, to output: String) throws(StrataError) -> [String] {
        try during("copy the artifacts from \(profile.build.output) to \(output)") {
            // Resolved inside the root: a link the build itself made at the
            // output (or on the way to it) leads somewhere in the root, never outside.
            guard let resolved = try RootPath.resolve(profile.build.output, in: root.path),
                  try resolved.status().kind == .directory else { return [] }
            let produced = resolved.host
            try FileTree.makeDirectories(inside: "", path: output)
            let owner = try FileStatus(path: output)
            let identity = IsolatedCommand.Identity(uid: owner.uid, gid: owner.gid)
            var names: [String] = []
            for name in try directoryEntries(produced) {
                // Only files, links and directories leave the root: no device node,
                // fifo or socket, and no setuid or setgid bit (FileTree.copy(artifacts:)).
                let kind = try FileStatus(path: produced + "/" + name).kind
                if [.characterDevice, .blockDevice, .fifo, .socket].contains(kind) { continue }
                let destination = output + "/" + name
                if try FileStatus.ifExists(destination) != nil { try FileTree.remove(destination) }
                try FileTree.copy(from: produced + "/" + name, to: destination, owner: identity, artifacts: true)
                names.append(name)
            }
            return names
        }
    }

    /// A command (`strata run`), or an interactive shell (`strata shell`),
    /// in a fresh scratch root over `lowers`, with the source copied in as
    /// for a build when there is one. Standard streams are strata's own.
    /// Returns the command's exit status (128 + signal when killed).
    public func run(_ request: RootCommand, lowers: [String], source: String?) throws(StrataError) -> Int32 {
        let root = try mountScratch(lowers: lowers)
        let status: Int32
        do {
            let command = try prepare(request, in: root, source: source)
            if request.isInteractive { Termination.ignoreInterrupts() }
            status = try during("run \(command.arguments.first ?? "the command")") { try command.run() }
            try StrataError.checkInterruption()
            try tearDown(root)
        } catch {
            root.teardown()
            throw error
        }
        return status
    }

    /// Makes the scratch directories and mounts a merged root over `lowers`
    /// at the session's mount point.
    func mountScratch(lowers: [String]) throws(StrataError) -> BuildRoot {
        let upper = directory + "/upper"
        let work = directory + "/work"
        let root = makeRoot()
        do {
            try during("create \(upper)") {
                try FileTree.makeDirectories(inside: "", path: upper)
                try FileTree.makeDirectories(inside: "", path: work)
            }
            try root.mountOverlay(lower: lowers, upper: upper, work: work, volatile: true)
        } catch {
            root.teardown()
            throw error
        }
        return root
    }

    /// Removes what the scratch directories hold (the root must be torn down).
    func removeScratch() throws(StrataError) {
        try during("remove the scratch of \(directory)") {
            for name in ["upper", "work"] where try FileStatus.ifExists(directory + "/" + name) != nil {
                try FileTree.remove(directory + "/" + name)
            }
        }
    }

    /// The system mounts, binds, user and source of `request` in a mounted
    /// root; returns the command to start.
    func prepare(_ request: RootCommand, in root: BuildRoot, source: String?) throws(StrataError) -> IsolatedCommand {
        let network = request.network ?? profile.build.network
        var command: IsolatedCommand
        if let source {
            command = try prepareScratch(root, source: source, network: network, extraMounts: request.binds)
        } else {
            try root.mountSystem(network: network)
            try root.bind(profile.mounts, profile: profile.path)
            try bindExtra(request.binds, in: root)
            command = IsolatedCommand(root: root.path, arguments: ["/bin/sh"], environment: environment(),
                                      network: network, userNamespace: root.userNamespace)
        }
        if request.isInteractive {
            command.arguments = ["/bin/sh", "-i"]
            command.identity = nil
            command.environment = environment(adding: [
                "TERM": CurrentProcess.environment("TERM") ?? "xterm", "PS1": "strata:\\w# ",
            ])
            return command
        }
        command.arguments = request.rootArguments
        command.identity = nil
        command.environment = environment(adding: request.environment)
        if let name = request.user {
            let user = try BuildUser.ensure(name, in: root)
            command.identity = user.identity
            command.environment = environment(user: user.name, home: user.home, adding: request.environment)
        }
        return command
    }

    /// `--bind` mounts of `strata run`: named by the option in errors.
    private func bindExtra(_ binds: [Profile.BindMount], in root: BuildRoot) throws(StrataError) {
        for bind in binds {
            guard let status = try? FileStatus(path: bind.source) else {
                throw .input("--bind \(bind.source):\(bind.target): \(bind.source) does not exist; give an existing file or directory")
            }
            try root.bind(bind.source, at: bind.target, readOnly: bind.readonly, isDirectory: status.kind == .directory)
        }
    }
}
