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
    private var closed = false

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
        if keep {
            try? FileTree.remove(directory + "/work")
            try? FileTree.remove(mountPoint)
            try? FileTree.writeFile(directory + "/kept", Array("kept by --keep-failed\n".utf8))
        } else if let error = Result(catching: { try FileTree.remove(directory) }).failure {
            logger.error("could not remove \(directory): \(error)")
            owned.lock.unlock()
            return
        }
        owned.release()
    }

    /// Resolves the dependencies (when there is a source) and computes every
    /// key. Creates no layer.
    public func plan(source: String?) throws(StrataError) -> BuildPlan {
        if profile.update != nil {
            throw .input("\(profile.path): [update] layers are not supported by this version of strata yet; remove the [update] table")
        }
        let image = try images.inspect(profile.base.image)
        let baseInputs = InputManifest.base(imageDigest: image.digest, arch: profile.arch, cacheVersion: profile.cacheVersion)
        let base = PlannedLayer(role: .base, key: baseInputs.key, exists: true, inputs: baseInputs)
        let baseLowers = [images.rootfs(image.name)]
        guard let source else {
            return BuildPlan(profile: profile, source: nil, image: image, base: base, deps: nil, lowers: baseLowers)
        }
        let sourcePath = Store.absolute(source)
        guard (try? FileStatus.ifExists(sourcePath))??.kind == .directory else {
            throw .input("source \(sourcePath) is not a directory; give the unpacked source tree of the package")
        }
        let resolved = try resolve(source: sourcePath, lowers: baseLowers)
        let depsInputs = InputManifest.deps(parent: base.key, profile: profile, resolved: resolved)
        let key = depsInputs.key
        let exists = layers.exists(key)
        let deps = PlannedLayer(role: .deps, key: key, exists: exists, inputs: depsInputs)
        logger.info("deps layer \(key.short): \(exists ? "exists" : "missing") (\(resolved.dependencies.count) dependencies)")
        return BuildPlan(profile: profile, source: sourcePath, image: image, base: base, deps: deps,
                         lowers: (exists ? [layers.upper(key)] : []) + baseLowers)
    }

    /// The plan with every missing layer created. Returns it with the
    /// layers now stacked, and which layers this call created.
    public func createMissingLayers(_ plan: BuildPlan) throws(StrataError) -> (plan: BuildPlan, created: Set<LayerKey>) {
        guard let deps = plan.deps, !deps.exists else { return (plan, []) }
        let parentLowers = [images.rootfs(plan.image.name)]
        try createLayer(deps, lowers: parentLowers)
        let finished = BuildPlan(profile: plan.profile, source: plan.source, image: plan.image, base: plan.base,
                                 deps: PlannedLayer(role: .deps, key: deps.key, exists: true, inputs: deps.inputs),
                                 lowers: [layers.upper(deps.key)] + parentLowers)
        return (finished, [deps.key])
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
