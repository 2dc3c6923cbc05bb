/// Everything a `BuildWorkflow` is told besides the store and the profile:
/// what `strata build`, `plan`, `shell` and `update` take as options.
public struct BuildOptions: Sendable {
    /// How long to wait for a lock another strata holds, in seconds (--lock-timeout).
    public var lockTimeout: Double = 3600
    /// Where the artifacts go (--output); relative to the working directory.
    public var output: String = "."
    /// Keep the scratch upper of a failed build (--keep-failed).
    public var keepFailed = false
    /// Parallel jobs: STRATA_JOBS for the build command, never part of a key (--jobs).
    public var jobs: Int?
    /// A registry repository to pull a missing deps layer from (--cache-from).
    public var cacheFrom: String?
    /// A registry repository to push the build's layers to (--cache-to).
    public var cacheTo: String?
    /// Where registry credentials are looked up (STRATA_REGISTRY_*, DOCKER_CONFIG, HOME).
    public var environment: [String: String] = [:]
    /// Apply the profile's [gc] limits after a build, as `strata build` does.
    public var collectGarbage = true
    /// Reuse a cached resolution when the profile lists `[deps] inputs`
    /// (false: --no-resolve-cache, the resolver runs and the cache is renewed).
    public var resolveCache = true
    /// As root, run commands in a user namespace unless the profile says
    /// `[build] userns = false` (false: --no-userns, every command as host root).
    public var userNamespace = true
    /// Variables for this build's command only (--env NAME=VALUE), over the
    /// profile's [build.env]; never part of a key.
    public var buildEnvironment: [String: String] = [:]
    /// Run `strata update` first when the profile has [update] and no update
    /// layer exists for it (--update-if-missing); otherwise that is an error.
    public var updateIfMissing = false

    public init(lockTimeout: Double = 3600, output: String = ".", keepFailed: Bool = false, jobs: Int? = nil,
                cacheFrom: String? = nil, cacheTo: String? = nil, environment: [String: String] = [:],
                collectGarbage: Bool = true, resolveCache: Bool = true, userNamespace: Bool = true) {
        self.userNamespace = userNamespace
        self.lockTimeout = lockTimeout
        self.output = output
        self.keepFailed = keepFailed
        self.jobs = jobs
        self.cacheFrom = cacheFrom
        self.cacheTo = cacheTo
        self.environment = environment
        self.collectGarbage = collectGarbage
        self.resolveCache = resolveCache
    }
}

extension BuildOptions {
    /// `--env NAME=VALUE` assignments as a table, under the rules of
    /// `[build.env]`: names as a shell takes them, values within its size
    /// limit; everything after the first '=' is the value.
    public static func variables(_ assignments: [String]) throws(StrataError) -> [String: String] {
        var variables: [String: String] = [:]
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "=") else {
                throw .input("--env '\(assignment)': write NAME=VALUE, e.g. --env DEB_BUILD_OPTIONS=nocheck")
            }
            let name = String(assignment[..<equals])
            if let problem = ProfileRules.variableNameProblem(name) {
                throw .input("--env '\(assignment)': '\(name)' \(problem)")
            }
            let value = String(assignment[assignment.index(after: equals)...])
            guard value.utf8.count <= ProfileRules.maximumValueBytes else {
                throw .input("--env '\(name)=…': the value is \(value.utf8.count) bytes; a value may be at most \(ProfileRules.maximumValueBytes / 1024) KiB (pass large data in a file)")
            }
            variables[name] = value
        }
        return variables
    }
}
