import Foundation
import StrataOS

extension BuildSession {
    /// Runs the resolve command in a throwaway overlay over `lowers`, with the
    /// source bound read-only at /build/src, and parses what it prints.
    func resolve(source: String, lowers: [String]) throws(StrataError) -> ResolvedDependencies {
        let upper = directory + "/resolve-upper"
        let work = directory + "/resolve-work"
        try during("create \(upper)") {
            try FileTree.makeDirectories(inside: "", path: upper)
            try FileTree.makeDirectories(inside: "", path: work)
        }
        let root = BuildRoot(path: mountPoint)
        let result: (status: Int32, output: [UInt8])
        do {
            try root.mountOverlay(lower: lowers, upper: upper, work: work, volatile: true)
            try root.mountSystem(network: true)
            try root.bind(profile.mounts, profile: profile.path)
            try root.bind(source, at: "/build/src", readOnly: true)
            let command = IsolatedCommand(
                root: root.path, workingDirectory: "/build/src", arguments: ["/bin/sh", "-c", profile.deps.resolve],
                environment: environment(), network: true)
            logger.info("resolving dependencies: \(profile.deps.resolve)")
            PausePoint.resolve.pauseIfRequested()
            result = try during("run the resolve command") { try command.runCollectingOutput() }
            try StrataError.checkInterruption()
        } catch {
            root.teardown()
            throw error
        }
        try tearDown(root)
        try during("remove \(upper)") {
            try FileTree.remove(upper)
            try FileTree.remove(work)
        }
        guard result.status == 0 else {
            throw StrataError(.dependencies,
                "the resolve command of \(profile.path) exited with status \(result.status); its messages are above. Check [deps] resolve and the package's build dependencies")
        }
        return try ResolvedDependencies.parse(result.output, format: profile.deps.format,
                                              source: "output of the resolve command of \(profile.path)")
    }

    /// Builds one deps layer in `layers/.tmp-*`: runs the install command in
    /// an overlay over `lowers`, then renames the upper into place. On failure
    /// the temporary layer is discarded: nothing partial is ever used.
    func createLayer(_ layer: PlannedLayer, lowers: [String]) throws(StrataError) {
        let (pending, status) = try fillNewLayer(over: lowers) { root throws(StrataError) -> Int32 in
            let resolved = ResolvedDependencies(layer.inputs.dependencies ?? [])
            let depsFile = "/tmp/strata-deps"
            try during("write \(depsFile)") {
                // In the root's /tmp, a tmpfs strata mounted; resolved inside the root all the same.
                guard let target = try RootPath.resolve(depsFile, in: root.path, create: .file) else { return }
                try FileTree.writeFile(target.host, resolved.encoded(as: profile.deps.format))
            }
            let command = IsolatedCommand(
                root: root.path, workingDirectory: "/", arguments: ["/bin/sh", "-c", profile.deps.install],
                environment: environment(adding: ["STRATA_DEPS_FILE": depsFile]), network: true)
            logger.info("creating deps layer \(layer.key.short): \(profile.deps.install)")
            let status = try during("run the install command") { try command.start(stdout: 2).wait() }
            try StrataError.checkInterruption()
            PausePoint.install.pauseIfRequested()
            return status
        }
        guard status == 0 else {
            layers.discard(pending)
            throw StrataError(.dependencies,
                "the install command of \(profile.path) exited with status \(status) while creating deps layer \(layer.key.short); the partial layer was discarded. Its messages are above")
        }
        try commit(pending, key: layer.key, inputs: layer.inputs, mountEntries: try mountEntries())
    }

    /// A new temporary layer filled by `fill`, which runs in an overlay over
    /// `lowers` whose upper is the layer's, with the system mounts (network
    /// on, as installs download) and the profile's binds. Everything is
    /// unmounted before it returns; on any failure the layer is discarded.
    func fillNewLayer<Result>(
        over lowers: [String], _ fill: (BuildRoot) throws(StrataError) -> Result
    ) throws(StrataError) -> (PendingLayer, Result) {
        let pending = try layers.begin()
        let root = BuildRoot(path: mountPoint)
        do {
            try root.mountOverlay(lower: lowers, upper: pending.upper, work: pending.work, volatile: false)
            try root.mountSystem(network: true)
            try root.bind(profile.mounts, profile: profile.path)
            let result = try fill(root)
            try tearDown(root)
            return (pending, result)
        } catch {
            root.teardown()
            layers.discard(pending)
            throw error
        }
    }

    /// Renames a filled layer into place under `key`, or discards it if that fails.
    func commit(_ pending: PendingLayer, key: LayerKey, inputs: InputManifest, mountEntries: [String: [String: String]]) throws(StrataError) {
        do {
            try layers.commit(pending, as: LayerRecord(key: key, created: Timestamp.format(Date()), inputs: inputs),
                              mountEntries: mountEntries)
        } catch {
            layers.discard(pending)
            throw error
        }
    }
}
