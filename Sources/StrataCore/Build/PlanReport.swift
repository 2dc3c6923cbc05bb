/// What `strata plan` shows: each layer a build would reuse or create, the
/// state of the update layer, and warnings (Docs/json.md, plan.schema.json).
public struct PlanReport: Sendable, Encodable {
    public struct Layer: Sendable, Encodable {
        public enum Action: String, Sendable, Encodable { case reuse, create }
        public let role: InputManifest.Role
        public let key: LayerKey
        public let action: Action
        public let dependencies: Int?
        public let explanation: Explanation?
        /// For an incremental deps layer: the deps layer it is (or would be) stacked on.
        public let standsOn: LayerKey?
        /// For a layer that would be stacked: how many entries it would add.
        public let added: Int?
        /// True when the store has the layer (JSON `reused`).
        public var reused: Bool { action == .reuse }

        enum CodingKeys: String, CodingKey {
            case role, key, action, reused, dependencies, explanation, added
            case standsOn = "stands_on"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(role, forKey: .role)
            try container.encode(key, forKey: .key)
            try container.encode(action, forKey: .action)
            try container.encode(reused, forKey: .reused)
            try container.encodeIfPresent(dependencies, forKey: .dependencies)
            try container.encodeIfPresent(explanation, forKey: .explanation)
            try container.encodeIfPresent(standsOn, forKey: .standsOn)
            try container.encodeIfPresent(added, forKey: .added)
        }
    }

    public struct Update: Sendable, Encodable {
        public let key: LayerKey?
        public let checked: String?
        public let ageSeconds: Int?
        public let maxAgeSeconds: Int?
        public let stale: Bool

        enum CodingKeys: String, CodingKey {
            case key, checked, stale
            case ageSeconds = "age_seconds"
            case maxAgeSeconds = "max_age_seconds"
        }
    }

    public let profile: String
    public let source: String
    public let layers: [Layer]
    public let reusesEverything: Bool
    /// Whether the resolver ran; only for a profile with `[deps] inputs`.
    public let resolution: ResolutionStatus?
    public let update: Update?
    public let warnings: [String]

    enum CodingKeys: String, CodingKey {
        case profile, source, layers, update, warnings, resolution
        case reusesEverything = "reuses_everything"
    }

    init(_ plan: BuildPlan) {
        profile = plan.profile.name
        source = plan.source
        layers = plan.layers.map {
            Layer(role: $0.role, key: $0.key, action: $0.exists ? .reuse : .create,
                  dependencies: $0.inputs.dependencies?.count, explanation: $0.explanation,
                  standsOn: $0.standsOn, added: $0.exists ? nil : $0.added)
        }
        reusesEverything = plan.reusesEverything
        resolution = plan.resolution
        update = plan.updateStatus.map {
            Update(key: $0.key, checked: $0.checked.map(Timestamp.format), ageSeconds: $0.ageSeconds.map { Int($0) },
                   maxAgeSeconds: $0.maxAge.map { Int($0) }, stale: $0.stale)
        }
        warnings = Self.warnings(plan.updateStatus, profile: plan.profile.reference ?? plan.profile.name)
    }

    /// An update layer older than [update] max_age. (A missing one stops
    /// the plan before it is made: `BuildSession.planParents`.)
    static func warnings(_ status: UpdateStatus?, profile: String) -> [String] {
        guard let status else { return [] }
        if status.stale, let age = status.ageSeconds, let maxAge = status.maxAge {
            return ["the update layer was last updated \(Quantity.human(seconds: age)) ago, more than [update] max_age (\(Quantity.human(seconds: maxAge))); run 'strata update \(profile)'"]
        }
        return []
    }
}
