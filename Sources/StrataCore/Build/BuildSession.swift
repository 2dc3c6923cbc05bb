import Logging
import StrataOS

/// One build's stay in the store: `builds/<id>/` with its lock, its mount
/// point and its scratch directories. It plans (+Plan), makes the missing
/// layers (+Layers), runs commands in merged roots (+Run, +Update), and
/// removes its directory when closed. `BuildWorkflow` drives it; mount calls
/// go to the calling process's mount namespace (`Host.prepareForMounts()`).
public final class BuildSession {
    /// How a session behaves, fixed when it is made.
    public struct Settings: Sendable {
        /// How long to wait for a lock held by another strata, in seconds.
        public var lockTimeout: Double = 3600
        /// Variables for the build command only (never part of a key), such as
        /// STRATA_JOBS and --env's, over the profile's [build.env].
        public var buildEnvironment: [String: String] = [:]
        /// Reuse a cached resolution (`[deps] inputs`); false runs the resolver.
        public var useResolveCache = true
        /// As root, run commands in a user namespace (`[build] userns`, unless --no-userns).
        public var userNamespace = true

        public init(lockTimeout: Double = 3600, buildEnvironment: [String: String] = [:], useResolveCache: Bool = true,
                    userNamespace: Bool = true) {
            self.lockTimeout = lockTimeout
            self.buildEnvironment = buildEnvironment
            self.useResolveCache = useResolveCache
            self.userNamespace = userNamespace
        }
    }

    public let store: Store
    public let profile: Profile
    let settings: Settings
    /// `--cache-from`: a registry asked for a missing deps layer before it is built.
    let cacheFrom: RegistryCache?
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
    /// Locks held until `close()`: the image and every layer in use, shared.
    var held: [FileLock] = []
    /// What went wrong without failing the build: a cache that failed, a
    /// damaged layer that was rebuilt.
    public internal(set) var warnings: [String] = []
    /// The input mounts, digested once per session (`mountInputs()`).
    var digestedMounts: MountInputs?
    /// Root's user namespace for this session's commands; nil when rootless
    /// (strata's own namespace) or turned off.
    let userNamespace: UserNamespace?

    public init(store: Store, profile: Profile, settings: Settings = Settings(), cacheFrom: RegistryCache? = nil,
                logger: Logger) throws(StrataError) {
        self.store = store
        self.profile = profile
        self.settings = settings
        self.cacheFrom = cacheFrom
        self.logger = logger
        images = ImageStore(store: store)
        layers = LayerStore(store: store)
        let namespace = settings.userNamespace && profile.build.userNamespace ? try Host.rootBuildNamespace() : nil
        // Without idmapped mounts the layers cannot be shown to the namespace with
        // their owners: said once per session, and the commands run as host root.
        let problem = namespace?.mappingProblem(at: store.builds)
        userNamespace = problem == nil ? namespace : nil
        StaleSweeper(store: store).sweep()
        if let problem {
            let warning = "the store's file system cannot be idmapped (\(problem)): commands in the root run as host root, without a user namespace; see Docs/rootless.md"
            warnings.append(warning)
            logger.warning("\(warning)")
        }
        owned = try OwnedDirectory.create(in: store.builds, prefix: "", store: store)
        let root = owned.path + "/root"
        try during("create the build directory") { try FileTree.makeDirectory(root) }
    }

    /// Removes the build directory (or, for a kept failure, all but its
    /// upper) and releases every lock. The session is spent afterwards.
    public func close() {
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

    /// Opens a lock file and takes it, waiting at most the lock timeout.
    func lock(_ path: String, _ mode: FileLock.Mode, what: String) throws(StrataError) -> FileLock {
        try acquireLock(path, mode, what: what, timeout: settings.lockTimeout)
    }

    func openLock(_ path: String) throws(StrataError) -> FileLock {
        try during("open lock file \(path)") { try FileLock(path: path) }
    }

    func wait(for lock: FileLock, _ mode: FileLock.Mode, what: String) throws(StrataError) {
        try StrataCore.wait(for: lock, mode, what: what, timeout: settings.lockTimeout)
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

    /// A merged root at this session's mount point, its commands in the
    /// session's user namespace, its overlays in the store's attribute form.
    func makeRoot() -> BuildRoot {
        BuildRoot(path: mountPoint, userNamespace: userNamespace, overlayAttributes: store.overlayAttributes)
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
