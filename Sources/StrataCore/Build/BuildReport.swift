/// The outcome of `strata build`, printed as text or as JSON (Docs/json.md).
public struct BuildReport: Sendable, Codable {
    public struct Layer: Sendable, Codable {
        /// Where a layer of a build came from.
        public enum Origin: String, Sendable, Codable {
            /// It was in the store.
            case store
            /// This build made it.
            case built
            /// This build pulled it from --cache-from.
            case pulled
        }

        public var role: InputManifest.Role
        public var key: LayerKey
        public var origin: Origin
        /// With --cache-to: whether the registry has the layer now.
        public var pushed: Bool?
        public var dependencies: Int?
        /// For a layer this build created: why, against the closest existing one.
        public var explanation: Explanation?
        /// For an incremental deps layer: the deps layer it is stacked on.
        public var standsOn: LayerKey?
        /// For a stacked layer this build created: how many entries it added.
        public var added: Int?

        /// True when the store had the layer before this build (JSON `reused`).
        public var reused: Bool { origin == .store }

        public init(role: InputManifest.Role, key: LayerKey, origin: Origin, pushed: Bool? = nil,
                    dependencies: Int? = nil, explanation: Explanation? = nil, standsOn: LayerKey? = nil, added: Int? = nil) {
            self.role = role
            self.key = key
            self.origin = origin
            self.pushed = pushed
            self.dependencies = dependencies
            self.explanation = explanation
            self.standsOn = standsOn
            self.added = added
        }

        enum CodingKeys: String, CodingKey {
            case role, key, reused, origin, pushed, dependencies, explanation, added
            case standsOn = "stands_on"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(role: try container.decode(InputManifest.Role.self, forKey: .role),
                      key: try container.decode(LayerKey.self, forKey: .key),
                      origin: try container.decode(Origin.self, forKey: .origin),
                      pushed: try container.decodeIfPresent(Bool.self, forKey: .pushed),
                      dependencies: try container.decodeIfPresent(Int.self, forKey: .dependencies),
                      explanation: try container.decodeIfPresent(Explanation.self, forKey: .explanation),
                      standsOn: try container.decodeIfPresent(LayerKey.self, forKey: .standsOn),
                      added: try container.decodeIfPresent(Int.self, forKey: .added))
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(role, forKey: .role)
            try container.encode(key, forKey: .key)
            try container.encode(reused, forKey: .reused)
            try container.encode(origin, forKey: .origin)
            try container.encodeIfPresent(pushed, forKey: .pushed)
            try container.encodeIfPresent(dependencies, forKey: .dependencies)
            try container.encodeIfPresent(explanation, forKey: .explanation)
            try container.encodeIfPresent(standsOn, forKey: .standsOn)
            try container.encodeIfPresent(added, forKey: .added)
        }
    }

    public struct Build: Sendable, Codable {
        public var exitCode: Int32
        enum CodingKeys: String, CodingKey { case exitCode = "exit_code" }
    }

    /// Milliseconds per phase: resolving, creating layers (0 when all were
    /// reused), mounting and preparing the scratch root, the build command,
    /// and collecting artifacts plus unmounting and cleaning up.
    public struct Timings: Sendable, Codable {
        public var resolve = 0
        public var layer = 0
        public var setup = 0
        public var build = 0
        public var teardown = 0

        public init() {}
    }

    public var profile: String
    public var source: String
    public var layers: [Layer]
    public var build: Build
    /// Names of the entries copied from `[build] output` into `output`.
    public var artifacts: [String]
    public var output: String
    /// Where the failed build's scratch upper was kept (--keep-failed).
    public var keptScratch: String?
    public var timings: Timings
    /// Whether the resolver ran; only for a profile with `[deps] inputs`.
    public var resolution: ResolutionStatus?
    /// Problems that did not fail the build, such as an unreachable cache.
    public var warnings: [String]?

    public var succeeded: Bool { build.exitCode == 0 }

    enum CodingKeys: String, CodingKey {
        case profile, source, layers, build, artifacts, output, resolution
        case keptScratch = "kept_scratch"
        case timings = "timings_ms"
        case warnings
    }
}
