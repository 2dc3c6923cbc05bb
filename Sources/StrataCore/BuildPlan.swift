/// One layer of a plan: its key, its inputs, and whether the store has it.
public struct PlannedLayer: Sendable {
    public let role: InputManifest.Role
    public let key: LayerKey
    /// True when the store already holds it, so a build would reuse it.
    public let exists: Bool
    public let inputs: InputManifest
}

/// What a build will use, computed before anything but the resolver runs:
/// a value that can be printed, compared and tested. `BuildSession` executes it.
public struct BuildPlan: Sendable {
    public let profile: Profile
    /// The absolute source directory, when the plan has one.
    public let source: String?
    public let image: ImageRecord
    public let base: PlannedLayer
    /// The dependency layer; nil for a plan without a source (a bare shell).
    public let deps: PlannedLayer?
    /// The directories to stack under the scratch layer, topmost first,
    /// for the layers that exist already.
    let lowers: [String]

    public var layers: [PlannedLayer] { [base] + (deps.map { [$0] } ?? []) }
    /// True when a build would create no layer.
    public var reusesEverything: Bool { layers.allSatisfy(\.exists) }
}
