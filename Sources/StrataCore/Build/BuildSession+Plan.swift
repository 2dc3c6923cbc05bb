import StrataOS

extension BuildSession {
    /// The base image and the current update layer, held in use until
    /// `close()`. Creates no layer.
    public func planParents() throws(StrataError) -> ParentLayers {
        held.append(try lock(images.lockPath(profile.base.image), .shared, what: "image \(profile.base.image)"))
        let image = try images.inspect(profile.base.image)
        let baseInputs = baseInputs(of: image)
        let base = PlannedLayer(role: .base, key: baseInputs.key, exists: true, inputs: baseInputs)
        let (update, updateStatus) = try currentUpdate(base: base.key)
        if profile.update != nil && update == nil {
            // Resolving against the bare base would fail in the resolver, or worse, succeed
            // against an old package index: the user must make the update layer first.
            throw .input(missingUpdateMessage(base: base.key))
        }
        let lowers = (update.map { [layers.upper($0.key)] } ?? []) + [images.rootfs(image.name)]
        return ParentLayers(image: image, base: base, update: update, updateStatus: updateStatus, lowers: lowers)
    }

    /// Plans the parents, resolves the source's dependencies in a throwaway
    /// overlay over them, and computes the deps layer's key. Creates no layer.
    public func plan(source: String) throws(StrataError) -> BuildPlan {
        let parents = try planParents()
        let sourcePath = Store.absolute(source)
        guard (try? FileStatus.ifExists(sourcePath))??.kind == .directory else {
            throw .input("source \(sourcePath) is not a directory; give the unpacked source tree of the package")
        }
        let (resolved, resolution) = try resolution(of: sourcePath, over: parents)
        let depsInputs = InputManifest.deps(parent: parents.top.key, imageDigest: parents.image.digest, profile: profile,
                                            mounts: try mountInputs(), resolved: resolved)
        let key = depsInputs.key
        let condition = layers.condition(key)
        let exists = condition?.record != nil
        if case .damaged(let why) = condition {
            logger.warning("deps layer \(key.short) is damaged (\(why)); it will be rebuilt")
        }
        logger.info("deps layer \(key.short): \(exists ? "exists" : "missing") (\(resolved.dependencies.count) dependencies)")
        var deps = PlannedLayer(role: .deps, key: key, exists: exists, inputs: depsInputs, standsOn: condition?.record?.standsOn)
        if case .damaged(let why) = condition {
            deps.explanation = Explanation(closest: nil, difference: nil, summary: "deps layer rebuilt: the store's copy is damaged (\(why))")
        } else if !exists {
            deps.explanation = Explanation.forMiss(depsInputs, mountEntries: try mountEntries(), in: layers)
        }
        if !exists && profile.deps.incremental, let base = layers.incrementalBase(for: depsInputs, maxChain: profile.deps.maxChain) {
            deps.standsOn = base.record.key
            deps.added = base.missing.count
        }
        return BuildPlan(profile: profile, parents: parents, source: sourcePath, resolution: resolution, deps: deps)
    }

    /// The resolved set of `source`: from the resolution cache when the
    /// profile lists the resolver's `inputs` and nothing they cover changed,
    /// else from the resolver (and then cached). The status is nil without `inputs`.
    private func resolution(of source: String, over parents: ParentLayers) throws(StrataError) -> (ResolvedDependencies, ResolutionStatus?) {
        guard let patterns = profile.deps.inputs else {
            return (try resolve(source: source, lowers: parents.lowers), nil)
        }
        let cache = ResolutionCache(store: store)
        let key = ResolutionKey(parent: parents.top.key, profile: profile, mounts: try mountInputs(),
                                files: try inputFiles(patterns, in: source))
        let earlier = cache.lastKey(profile: profile, source: source)
        var reason: String
        if key.files.values.allSatisfy({ $0 == "none" }) {
            // Nothing the patterns name exists: such a key would be the same for every source.
            warnings.append("[deps] inputs of \(profile.path) name no file in \(source); the resolver ran and its answer was not cached")
            return (try resolve(source: source, lowers: parents.lowers),
                    ResolutionStatus(cached: false, reason: "[deps] inputs name no file in the source"))
        } else if !settings.useResolveCache {
            reason = "--no-resolve-cache"
        } else if let cached = cache.lookup(key) {
            logger.info("resolution of \(source) cached (\(cached.dependencies.count) dependencies)")
            // Written only when it changes: a reused build writes nothing here.
            if earlier != key { try cache.remember(key, profile: profile, source: source) }
            return (cached, ResolutionStatus(cached: true, reason: nil))
        } else if let earlier {
            let reasons = key.reasons(against: earlier)
            reason = reasons.isEmpty ? "the cached resolution is gone (removed by gc)" : reasons.joined(separator: ", ")
        } else {
            reason = "no earlier resolution of this source"
        }
        let resolved = try resolve(source: source, lowers: parents.lowers)
        // Saved only if the inputs are still what the key says: a source
        // changed while the resolver ran (a checkout) must not be cached.
        guard try inputFiles(patterns, in: source) == key.files else {
            warnings.append("[deps] inputs changed in \(source) while the resolver ran; its answer was not cached")
            return (resolved, ResolutionStatus(cached: false, reason: reason))
        }
        try cache.save(resolved, under: key, imageDigest: parents.image.digest, overBase: parents.update == nil)
        try cache.remember(key, profile: profile, source: source)
        return (resolved, ResolutionStatus(cached: false, reason: reason))
    }

    /// Each file the `inputs` patterns name in `source`, with its digest; a
    /// pattern that names nothing, as "pattern <glob>": "none".
    private func inputFiles(_ patterns: [String], in source: String) throws(StrataError) -> [String: String] {
        try during("digest the files [deps] inputs of \(profile.path) names in \(source) (make them readable, or change deps.inputs)") {
            var files: [String: String] = [:]
            for pattern in patterns {
                let matches = try SourceFiles.matching(pattern, in: source)
                if matches.isEmpty { files["pattern " + pattern] = "none" }
                for path in matches { files[path] = try SourceFiles.digest(of: path, in: source) }
            }
            return files
        }
    }

    /// The profile's mounts as recipes see them, input mounts digested once per session.
    public func mountInputs() throws(StrataError) -> MountInputs {
        if let digestedMounts { return digestedMounts }
        let digested = try MountInputs.digest(profile, store: store, withEntries: false)
        digestedMounts = digested
        return digested
    }

    /// The entry digests of the input mounts, for a layer being made or
    /// explained (a second walk, cheap through the file digest cache). Empty
    /// if the content changed since `mountInputs()` digested it: the entries
    /// must describe the content the key was made from.
    func mountEntries() throws(StrataError) -> [String: [String: String]] {
        let first = try mountInputs()
        if first.recipe.allSatisfy({ $0.kind != .input }) { return [:] }
        let listed = try MountInputs.digest(profile, store: store, withEntries: true)
        return listed.recipe == first.recipe ? listed.entries : [:]
    }

    /// The base layer's inputs: the image's digest, the arch, `cache_version`.
    func baseInputs(of image: ImageRecord) -> InputManifest {
        InputManifest.base(imageDigest: image.digest, arch: profile.arch, cacheVersion: profile.cacheVersion)
    }

    /// The chain of update pointers for this profile's update recipe over `base`.
    func updateChain(base: LayerKey, update: Profile.Update) throws(StrataError) -> String {
        UpdatePointer.chain(base: base, recipe: InputManifest.updateRecipe(profile: profile, update: update, mounts: try mountInputs()))
    }

    /// True when the profile has [update] and no update layer exists for its
    /// base and recipe (`build --update-if-missing` runs `update` then).
    public func updateLayerIsMissing() throws(StrataError) -> Bool {
        guard let update = profile.update else { return false }
        let base = baseInputs(of: try images.inspect(profile.base.image)).key
        guard let pointer = UpdatePointer.read(store: store, chain: try updateChain(base: base, update: update)) else { return true }
        return layers.condition(pointer.key)?.record == nil
    }

    /// Says that the update layer is missing and what to run; when the store
    /// has update layers of the same base made with another recipe, what
    /// differs from the newest of them.
    private func missingUpdateMessage(base: LayerKey) -> String {
        let name = profile.reference ?? profile.name
        var message = "profile \(name) has an [update] table but no update layer for it"
        if let update = profile.update, let mounts = try? mountInputs(),
           let other = ((try? layers.list()) ?? []).filter({ $0.inputs.role == .update && $0.inputs.parent == base })
               .max(by: { $0.created < $1.created }) {
            // The profile's recipe over the same base and state: what differs is the recipe alone.
            let wanted = InputManifest.update(parent: base, imageDigest: other.inputs.imageDigest ?? "", profile: profile,
                                              update: update, mounts: mounts, state: other.inputs.state ?? "")
            let difference = ManifestDifference(from: other.inputs, to: wanted, parents: { _ in nil })
            if !difference.recipe.isEmpty {
                message += "; the store's update layer \(other.key.short) of image \(profile.base.image) was made with another recipe: "
                    + ExplanationText(role: .update, difference: difference).recipeText
                    + " (a variable only the build needs belongs in [build.env], which is in no key)"
            }
        }
        return message + ": run 'strata update \(name)' (or build with --update-if-missing)"
    }

    /// The profile's most recent update layer, held in use; nil when the
    /// profile has none yet (or no [update] table).
    private func currentUpdate(base: LayerKey) throws(StrataError) -> (PlannedLayer?, UpdateStatus?) {
        guard let update = profile.update else { return (nil, nil) }
        guard let pointer = UpdatePointer.read(store: store, chain: try updateChain(base: base, update: update)) else {
            return (nil, UpdateStatus(key: nil, checked: nil, maxAge: update.maxAge))
        }
        let layerLock = try lock(layers.lockPath(pointer.key), .shared, what: "update layer \(pointer.key.short)")
        let condition = layers.condition(pointer.key)
        if case .damaged(let why) = condition {
            layerLock.unlock()
            throw .environment("update layer \(pointer.key.short) of profile \(profile.name) is damaged (\(why)); run 'strata layers verify --repair' and then 'strata update \(profile.name)' to make it anew")
        }
        guard let record = condition?.record else {
            layerLock.unlock()
            return (nil, UpdateStatus(key: nil, checked: nil, maxAge: update.maxAge))
        }
        held.append(layerLock)
        return (PlannedLayer(role: .update, key: pointer.key, exists: true, inputs: record.inputs),
                UpdateStatus(key: pointer.key, checked: pointer.checked, maxAge: update.maxAge))
    }

    /// Runs the resolve command in a throwaway overlay over `lowers`, with the
    /// source bound read-only at /build/src, and parses what it prints.
    private func resolve(source: String, lowers: [String]) throws(StrataError) -> ResolvedDependencies {
        let upper = directory + "/resolve-upper"
        let work = directory + "/resolve-work"
        try during("create \(upper)") {
            try FileTree.makeDirectories(inside: "", path: upper)
            try FileTree.makeDirectories(inside: "", path: work)
        }
        let root = makeRoot()
        let result: (status: Int32, output: [UInt8])
        do {
            try root.mountOverlay(lower: lowers, upper: upper, work: work, volatile: true)
            try root.mountSystem(network: true)
            try root.bind(profile.mounts, profile: profile.path)
            try root.bind(source, at: "/build/src", readOnly: true)
            let command = IsolatedCommand(
                root: root.path, workingDirectory: "/build/src", arguments: ["/bin/sh", "-c", profile.deps.resolve],
                environment: environment(), network: true, userNamespace: root.userNamespace)
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
}
