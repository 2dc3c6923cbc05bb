import Foundation
import StrataOS

extension BuildSession {
    /// Makes every layer of the plan exist and holds it in use (a shared
    /// lock) until `close()`. A missing deps layer is pulled from
    /// --cache-from or created under its exclusive lock, so that of N builds
    /// that need it, one installs and the others wait and reuse it.
    public func prepare(_ plan: BuildPlan) throws(StrataError) -> ReadyBuild {
        let package = String(plan.source.split(separator: "/").last ?? "")
        try recordUse(of: plan.parents, package: package)
        let deps = plan.deps
        var created: Set<LayerKey> = []
        var pulled: Set<LayerKey> = []
        var added: Int?
        for _ in 0..<3 {
            let layerLock = try openLock(layers.lockPath(deps.key))
            if !layers.exists(deps.key) {
                try wait(for: layerLock, .exclusive, what: "deps layer \(deps.key.short)")
                if case .damaged(let why) = layers.condition(deps.key) {
                    warnings.append("deps layer \(deps.key.short) was damaged (\(why)); it was rebuilt")
                }
                if !layers.exists(deps.key) {
                    if try pullFromCache(deps.key) {
                        pulled.insert(deps.key)
                    } else {
                        added = try createLayer(deps, over: plan.parents)
                        created.insert(deps.key)
                    }
                }
            }
            // Held shared from here: gc and `layers rm` leave the layer alone.
            try wait(for: layerLock, .shared, what: "deps layer \(deps.key.short)")
            // The layer and the ones it is stacked on, every one sound; nil if it
            // was removed (or damaged) between our check and our lock.
            if let stack = try? layers.stack(deps.key) {
                held.append(layerLock)
                try layers.recordUse(deps.key, profile: profile.name, package: package)
                // Held in use too: gc would not take them from under a layer that
                // stands on them, but a repair might.
                try holdShared(stack.dropFirst().map(\.key))
                let ready = BuildPlan(profile: plan.profile, parents: plan.parents, source: plan.source, resolution: plan.resolution,
                                      deps: deps.madeReady(standingOn: stack.first?.standsOn, added: added))
                let uppers = stack.map { layers.upper($0.key) }
                // A layer's first build has just paid for its install: the view,
                // which pays off over the builds that reuse the layer, waits for the first of them.
                let merged = created.contains(deps.key) ? nil : view(of: deps.key, lowers: uppers + plan.parents.lowers)
                return ReadyBuild(plan: ready, created: created, pulled: pulled, depsUppers: uppers, view: merged)
            }
            // Removed between our check and our lock (a gc): start again.
            layerLock.unlock()
        }
        throw .environment("deps layer \(deps.key.short) was removed three times while this build waited for it; stop the gc or layers rm that keeps removing it")
    }

    /// The deps layer's view (made the first time a build reuses the layer), or
    /// nil, said in the log, when it cannot be made: the build then stacks
    /// the layers, which gives the same root.
    private func view(of key: LayerKey, lowers: [String]) -> String? {
        do {
            return try layers.view(of: key, lowers: lowers)
        } catch {
            logger.info("the layers of deps layer \(key.short) are stacked: no view of them could be made (\(error.message))")
            return nil
        }
    }

    /// Counts a use of the update layer, if the profile has one.
    func recordUse(of parents: ParentLayers, package: String?) throws(StrataError) {
        if let update = parents.update {
            try layers.recordUse(update.key, profile: profile.name, package: package)
        }
    }

    /// Pulls a missing layer (whose exclusive lock the caller holds) from
    /// `--cache-from`. A registry that lacks it, fails or serves bad content
    /// is not fatal: the layer is built here, with a warning for the last two.
    private func pullFromCache(_ key: LayerKey) throws(StrataError) -> Bool {
        guard let cacheFrom else { return false }
        do {
            if let report = try cacheFrom.pull(key, lockedByCaller: [key]) {
                logger.info("deps layer \(key.short) pulled from \(report.reference) (\(report.pulledBytes) bytes)")
                return true
            }
            logger.info("deps layer \(key.short) is not in \(cacheFrom.reference); building it")
        } catch {
            if case .interrupted = error.category { throw error }
            warnings.append("--cache-from \(cacheFrom.reference): \(error.message); the layer was built here instead")
        }
        return false
    }

    /// Holds layers in use (shared locks) until `close()`.
    private func holdShared(_ keys: [LayerKey]) throws(StrataError) {
        for key in keys {
            held.append(try lock(layers.lockPath(key), .shared, what: "deps layer \(key.short)"))
        }
    }

    /// Builds one deps layer in `layers/.tmp-*`: runs the install command in
    /// an overlay over the parents (and, with `[deps] incremental`, over the
    /// largest existing subset layer), then renames the upper into place. On
    /// failure the temporary layer is discarded: nothing partial is ever
    /// used. Returns how many entries a stacked layer added (nil: built whole).
    private func createLayer(_ layer: PlannedLayer, over parents: ParentLayers) throws(StrataError) -> Int? {
        let all = ResolvedDependencies(layer.inputs.dependencies ?? [])
        // Chosen again now, under the key's lock: the plan's choice may be gone.
        var base = profile.deps.incremental ? layers.incrementalBase(for: layer.inputs, maxChain: profile.deps.maxChain) : nil
        var baseUppers: [String] = []
        if let chosen = base {
            do {
                // Held before its stack is read: what a held layer stands on stays.
                try holdShared([chosen.record.key])
                let stack = try layers.stack(chosen.record.key)
                try holdShared(stack.dropFirst().map(\.key))
                baseUppers = stack.map { layers.upper($0.key) }
                logger.info("deps layer \(layer.key.short): stacked on \(chosen.record.key.short), adding \(chosen.missing.count) of \(all.dependencies.count)")
            } catch {
                if case .interrupted = error.category { throw error }
                warnings.append("deps layer \(layer.key.short) was built whole: the layer it would stand on, \(chosen.record.key.short), went away (\(error.message))")
                base = nil
            }
        }
        let delta = base.map { ResolvedDependencies($0.missing) } ?? all
        let (pending, status) = try fillNewLayer(over: baseUppers + parents.lowers) { root throws(StrataError) -> Int32 in
            let depsFile = "/tmp/strata-deps"
            let allFile = "/tmp/strata-deps-all"
            try during("write \(depsFile)") { try root.asRoot { () throws(SystemError) in
                // In the root's /tmp, a tmpfs strata mounted; resolved inside the root all the same.
                for (path, set) in [(depsFile, delta), (allFile, all)] {
                    guard let target = try RootPath.resolve(path, in: root.path, create: .file) else { continue }
                    try FileTree.writeFile(target.host, set.encoded(as: profile.deps.format))
                }
            } }
            let command = IsolatedCommand(
                root: root.path, workingDirectory: "/", arguments: ["/bin/sh", "-c", profile.deps.install],
                environment: environment(adding: ["STRATA_DEPS_FILE": depsFile, "STRATA_DEPS_ALL": allFile]), network: true,
                userNamespace: root.userNamespace)
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
        try commit(pending, key: layer.key, inputs: layer.inputs, standsOn: base?.record.key, mountEntries: try mountEntries())
        return base?.missing.count
    }

    /// A new temporary layer filled by `fill`, which runs in an overlay over
    /// `lowers` whose upper is the layer's, with the system mounts (network
    /// on, as installs download) and the profile's binds. Everything is
    /// unmounted before it returns; on any failure the layer is discarded.
    func fillNewLayer<Result>(
        over lowers: [String], _ fill: (BuildRoot) throws(StrataError) -> Result
    ) throws(StrataError) -> (PendingLayer, Result) {
        let pending = try layers.begin()
        let root = makeRoot()
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
    func commit(_ pending: PendingLayer, key: LayerKey, inputs: InputManifest, standsOn: LayerKey? = nil,
                mountEntries: [String: [String: String]]) throws(StrataError) {
        do {
            try layers.commit(pending, as: LayerRecord(key: key, created: Timestamp.format(Date()), inputs: inputs, standsOn: standsOn),
                              mountEntries: mountEntries)
        } catch {
            layers.discard(pending)
            throw error
        }
    }
}
