/// What a build of one source will use, computed before anything but the
/// resolver runs: a value that can be printed, compared and tested.
/// `BuildSession.prepare(_:)` turns it into a `ReadyBuild`.
public struct BuildPlan: Sendable {
    public let profile: Profile
    public let parents: ParentLayers
    /// The absolute source directory.
    public let source: String
    /// Whether the resolver ran (nil when the profile has no `[deps] inputs`).
    public let resolution: ResolutionStatus?
    /// The dependency layer of this source.
    public let deps: PlannedLayer

    public var image: ImageRecord { parents.image }
    public var base: PlannedLayer { parents.base }
    public var update: PlannedLayer? { parents.update }
    public var updateStatus: UpdateStatus? { parents.updateStatus }
    public var layers: [PlannedLayer] { parents.layers + [deps] }
    /// True when a build would create no layer.
    public var reusesEverything: Bool { layers.allSatisfy(\.exists) }
}
