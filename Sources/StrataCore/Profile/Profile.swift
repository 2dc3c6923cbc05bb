// Profile/ — a profile from TOML text to a checked `Profile`, with errors
// that name the file, the line and the key. May use: Support, StrataOS (to
// read the file and name the host's architecture), TOMLKit. Nothing here
// mounts, locks or writes.

/// A build profile: which base, how dependencies are resolved and installed,
/// how the package is built. Read from TOML by `ProfileLoader`.
public struct Profile: Sendable, Equatable {
    public struct Base: Sendable, Equatable {
        public var image: String
    }

    public struct Update: Sendable, Equatable {
        public var run: String
        public var state: String
        /// Seconds after which `plan` calls the update layer stale.
        public var maxAge: Double?
    }

    public struct Deps: Sendable, Equatable {
        public var resolve: String
        public var format: ResolverFormat
        public var install: String
        /// `inputs`: the source files the resolver reads (globs relative to
        /// the source). When set, resolutions are cached; nil: never.
        public var inputs: [String]? = nil
        /// `incremental`: a missed set is built on the largest existing subset layer.
        public var incremental = false
        /// `max_chain`: how many deps layers an incremental chain may stack.
        public var maxChain = 4
    }

    public struct Build: Sendable, Equatable {
        public var run: String
        public var workdir: String = "/build/src"
        public var user: String?
        public var network: Bool = false
        public var output: String = "/build/out"
        /// `userns`: as root, resolve, install, update, build and shell run
        /// in a user namespace whose root is an unprivileged range of the
        /// host. In no key: it changes where commands run, not what a layer holds.
        public var userNamespace = true
        /// `[build.env]`: variables for the build command only (DEB_BUILD_OPTIONS,
        /// locales for tests), after `[env]`. In no key: changing one never
        /// costs a layer.
        public var environment: [String: String] = [:]
    }

    /// What a `[[mount]]` is to the layers whose recipes run with it.
    public enum MountKind: String, Sendable, Codable, Hashable {
        /// Its content can change what a layer holds (a tools directory with
        /// the installer): the content's digest is in the key.
        case input
        /// Its content never changes what a layer holds (a download cache):
        /// only the target is in the key, never the host path.
        case cache
    }

    /// A `[[mount]]` entry: a host path bound into every root of the profile.
    public struct BindMount: Sendable, Equatable, Codable, Hashable {
        public var source: String
        public var target: String
        public var readonly: Bool = false
        /// Default: `input` when read-only, `cache` when writable.
        public var kind: MountKind

        public init(source: String, target: String, readonly: Bool = false, kind: MountKind? = nil) {
            self.source = source
            self.target = target
            self.readonly = readonly
            self.kind = kind ?? (readonly ? .input : .cache)
        }
    }

    /// The name the profile was asked for by (not part of any key).
    public var name: String
    /// The file it was read from.
    public var path: String
    /// What the user named it by (its name, or the path given), for the
    /// commands a message suggests; nil when it was not loaded by name.
    public var reference: String? = nil
    public var arch: String
    public var cacheVersion: Int
    public var base: Base
    public var update: Update?
    public var deps: Deps
    public var build: Build
    public var mounts: [BindMount]
    public var environment: [String: String]
    /// `[gc]`: limits applied after every build of this profile (empty: none).
    public var gc: GCPolicy = GCPolicy()
}
