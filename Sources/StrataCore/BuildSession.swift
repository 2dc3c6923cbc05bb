import Glibc
import Logging
import StrataOS

/// One build's stay in the store: `builds/<id>/` with its lock, its mount
/// point and its scratch directories. It plans, creates the missing layers,
/// runs commands in merged roots, and removes its directory when closed.
/// Mount calls go to the calling process's mount namespace: call
/// `Host.prepareForMounts()` first.
public final class BuildSession {
    public let store: Store
    public let profile: Profile
    let logger: Logger
    let images: ImageStore
    let layers: LayerStore
    private let owned: OwnedDirectory
    /// builds/<id>
    public var directory: String { owned.path }
    /// The mount point every merged root of this session uses in turn.
    var mountPoint: String { directory + "/root" }
    /// Set when a failed build's scratch is kept: `close()` leaves it.
    var keep = false
    /// Variables for the build command only (never part of a key), such as STRATA_JOBS.
    public var buildEnvironment: [String: String] = [:]
    /// How long to wait for a lock held by another strata, in seconds.
    public var lockTimeout: Double = 3600
    /// Locks held until `close()`: the image and every layer in use, shared.
    var held: [FileLock] = []
    /// `--cache-from`: a registry asked for a missing deps layer before it is built.
    public var cacheFrom: RegistryCache?
    /// Layers this session pulled from `cacheFrom`.
    public private(set) var pulled: Set<LayerKey> = []
    /// What went wrong without failing the build: a cache that failed, a
    /// damaged layer that was rebuilt.
    public internal(set) var cacheWarnings: [String] = []
    private var closed = false
    private var digestedMounts: MountInputs?

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

    public init(store: Store, profile: Profile, logger: Logger) throws(StrataError) {
        self.store = store
        self.profile = profile
        self.logger = logger
        images = ImageStore(store: store)
        layers = LayerStore(store: store)
        StaleSweeper(store: store).sweep()
        owned = try OwnedDirectory.create(in: store.builds, prefix: "", store: store)
        let root = owned.path + "/root"
        if mkdir(root, 0o755) != 0 {
            throw .system(SystemError("create directory", path: root), while: "create the build directory")
        }
    }

    /// Removes the build directory (or, for a kept failure, all but its upper).
    /// Safe to call more than once.
    public func close() {
        if closed { return }
        closed = true
        defer {
            held.forEach { $0.unlock() }
            held.removeAll()
        }
        if keep {
            try? FileTree.remove(directory + "/work")
            try? FileTree.remove(mountPoint)
            try? FileTree.writeFile(directory + "/kept", Array("kept by --keep-failed\n".utf8))
        } else if let error = Result(catching: { try FileTree.remove(directory) }).failure {
            // Left for the next run's sweep, which removes it once this process is gone.
            logger.error("could not remove \(directory): \(error)")
            owned.lock.unlock()
            return
        }
        owned.release()
    }

    /// Resolves the dependencies (when there is a source) and computes every
    /// key. Creates no layer. Holds the image, and the update layer if any,
    /// in use until `close()`.
    public func plan(source: String?) throws(StrataError) -> BuildPlan {
        held.append(try lock(images.lockPath(profile.base.image), .shared, what: "image \(profile.base.image)"))
        let image = try images.inspect(profile.base.image)
        let baseInputs = InputManifest.base(imageDigest: image.digest, arch: profile.arch, cacheVersion: profile.cacheVersion)
        let base = PlannedLayer(role: .base, key: baseInputs.key, exists: true, inputs: baseInputs)
        let (update, updateStatus) = try currentUpdate(base: base.key)
        let parentLowers = (update.map { [layers.upper($0.key)] } ?? []) + [images.rootfs(image.name)]
        guard let source else {
            return BuildPlan(profile: profile, source: nil, image: image, base: base, update: update, updateStatus: updateStatus,
                             deps: nil, parentLowers: parentLowers, depsUpper: nil)
        }
        let sourcePath = Store.absolute(source)
        guard (try? FileStatus.ifExists(sourcePath))??.kind == .directory else {
            throw .input("source \(sourcePath) is not a directory; give the unpacked source tree of the package")
        }
        let resolved = try resolve(source: sourcePath, lowers: parentLowers)
        let mounts = try mountInputs()
        let depsInputs = InputManifest.deps(parent: (update ?? base).key, imageDigest: image.digest, profile: profile,
                                            mounts: mounts, resolved: resolved)
        let key = depsInputs.key
        let condition = layers.condition(key)
        let exists = condition?.record != nil
        if case .damaged(let why) = condition {
            logger.warning("deps layer \(key.short) is damaged (\(why)); it will be rebuilt")
        }
        logger.info("deps layer \(key.short): \(exists ? "exists" : "missing") (\(resolved.dependencies.count) dependencies)")
        var explanation: Explanation?
        if case .damaged(let why) = condition {
            explanation = Explanation(closest: nil, difference: nil, summary: "deps layer rebuilt: the store's copy is damaged (\(why))")
        } else if !exists {
            explanation = Explanation.forMiss(depsInputs, mountEntries: try mountEntries(), in: layers)
        }
        return BuildPlan(profile: profile, source: sourcePath, image: image, base: base, update: update, updateStatus: updateStatus,
                         deps: PlannedLayer(role: .deps, key: key, exists: exists, inputs: depsInputs, explanation: explanation),
                         parentLowers: parentLowers, depsUpper: layers.upper(key))
    }

    /// The profile's most recent update layer, held in use; nil when the
    /// profile has none yet (or no [update] table).
    private func currentUpdate(base: LayerKey) throws(StrataError) -> (PlannedLayer?, UpdateStatus?) {
        guard let update = profile.update else { return (nil, nil) }
        let chain = UpdatePointer.chain(base: base, recipe: InputManifest.updateRecipe(profile: profile, update: update, mounts: try mountInputs()))
        guard let pointer = UpdatePointer.read(store: store, chain: chain) else {
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

    /// Makes every layer of the plan exist and holds it in use (a shared lock)
    /// until `close()`. A missing layer is created under its exclusive lock,
    /// so that of N builds that need it, one installs and the others wait and
    /// reuse it. Returns the plan with the layers stacked, and which layers
    /// this call created.
    public func prepareLayers(_ plan: BuildPlan) throws(StrataError) -> (plan: BuildPlan, created: Set<LayerKey>) {
        let package = plan.source.map { String($0.split(separator: "/").last ?? "") }
        if let update = plan.update {
            try layers.recordUse(update.key, profile: profile.name, package: package)
        }
        guard let deps = plan.deps else { return (plan, []) }
        var created: Set<LayerKey> = []
        for _ in 0..<3 {
            let layerLock = try openLock(layers.lockPath(deps.key))
            if !layers.exists(deps.key) {
                try wait(for: layerLock, .exclusive, what: "deps layer \(deps.key.short)")
                if case .damaged(let why) = layers.condition(deps.key) {
                    cacheWarnings.append("deps layer \(deps.key.short) was damaged (\(why)); it was rebuilt")
                }
                if !layers.exists(deps.key) {
                    if try pullFromCache(deps.key) {
                        pulled.insert(deps.key)
                    } else {
                        try createLayer(deps, lowers: plan.parentLowers)
                        created.insert(deps.key)
                    }
                }
            }
            // Held shared from here: gc and `layers rm` leave the layer alone.
            try wait(for: layerLock, .shared, what: "deps layer \(deps.key.short)")
            if layers.exists(deps.key) {
                held.append(layerLock)
                try layers.recordUse(deps.key, profile: profile.name, package: package)
                return (plan.withDepsReady(), created)
            }
            // Removed between our check and our lock (a gc): start again.
            layerLock.unlock()
        }
        throw .environment("deps layer \(deps.key.short) was removed three times while this build waited for it; stop the gc or layers rm that keeps removing it")
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
            cacheWarnings.append("--cache-from \(cacheFrom.reference): \(error.message); the layer was built here instead")
        }
        return false
    }

    /// Opens a lock file and takes it, waiting at most `lockTimeout`.
    func lock(_ path: String, _ mode: FileLock.Mode, what: String) throws(StrataError) -> FileLock {
        try acquireLock(path, mode, what: what, timeout: lockTimeout)
    }

    func openLock(_ path: String) throws(StrataError) -> FileLock {
        try during("open lock file \(path)") { try FileLock(path: path) }
    }

    func wait(for lock: FileLock, _ mode: FileLock.Mode, what: String) throws(StrataError) {
        try StrataCore.wait(for: lock, mode, what: what, timeout: lockTimeout)
    }

    /// The environment of every command: a standard PATH and HOME, then the
    /// profile's [env], then what the step adds.
    func environment(user: String = "root", home: String = "/root", adding extra: [String: String] = [:]) -> [String: String] {
        var environment = [
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": home, "USER": user, "LOGNAME": user, "SHELL": "/bin/sh",
        ]
        environment.merge(profile.environment) { $1 }
        environment.merge(extra) { $1 }
        return environment
    }

    /// Tears a root down and turns leftovers into an error.
    func tearDown(_ root: BuildRoot) throws(StrataError) {
        let errors = root.teardown()
        if !errors.isEmpty {
            throw .environment("teardown of \(root.path) failed: \(errors.map(\.description).joined(separator: "; ")); nothing was removed under it; the mounts end with this process")
        }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
