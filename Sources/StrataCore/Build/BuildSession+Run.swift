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
        let work = directory + "/work"
        let root = makeRoot()
        var status: Int32 = 0
        var artifacts: [String] = []
        do {
            try during("create \(upper)") {
                try FileTree.makeDirectories(inside: "", path: upper)
                try FileTree.makeDirectories(inside: "", path: work)
            }
            try root.mountOverlay(lower: ready.lowers, upper: upper, work: work, volatile: true)
            let command = try prepareScratch(root, source: plan.source)
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
    private func prepareScratch(_ root: BuildRoot, source: String) throws(StrataError) -> IsolatedCommand {
        try root.mountSystem(network: profile.build.network)
        try root.bind(profile.mounts, profile: profile.path)
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
            environment: environment(user: user?.name ?? "root", home: user?.home ?? "/root", adding: settings.buildEnvironment),
            network: profile.build.network, identity: user?.identity, userNamespace: root.userNamespace)
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

    /// An interactive shell in a fresh scratch root over a ready plan's
    /// layers, with the source copied in as for a build. Returns its exit status.
    public func shell(_ ready: ReadyBuild) throws(StrataError) -> Int32 {
        try shell(lowers: ready.lowers, source: ready.plan.source)
    }

    /// An interactive shell in a fresh scratch root over the parents alone.
    public func shell(over parents: ParentLayers) throws(StrataError) -> Int32 {
        try shell(lowers: parents.lowers, source: nil)
    }

    private func shell(lowers: [String], source: String?) throws(StrataError) -> Int32 {
        let upper = directory + "/upper"
        let work = directory + "/work"
        let root = makeRoot()
        let status: Int32
        do {
            try during("create \(upper)") {
                try FileTree.makeDirectories(inside: "", path: upper)
                try FileTree.makeDirectories(inside: "", path: work)
            }
            try root.mountOverlay(lower: lowers, upper: upper, work: work, volatile: true)
            let command: IsolatedCommand
            if let source {
                command = try prepareScratch(root, source: source)
            } else {
                try root.mountSystem(network: profile.build.network)
                try root.bind(profile.mounts, profile: profile.path)
                command = IsolatedCommand(root: root.path, arguments: ["/bin/sh"], environment: environment(),
                                          network: profile.build.network, userNamespace: root.userNamespace)
            }
            var interactive = command
            interactive.arguments = ["/bin/sh", "-i"]
            interactive.identity = nil
            interactive.environment = environment(adding: [
                "TERM": CurrentProcess.environment("TERM") ?? "xterm", "PS1": "strata:\\w# ",
            ])
            Termination.ignoreInterrupts()
            status = try during("run the shell") { try interactive.run() }
            try tearDown(root)
        } catch {
            root.teardown()
            throw error
        }
        return status
    }
}
