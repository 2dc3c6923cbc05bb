/// What `BuildWorkflow.build(source:)` did: the build's report (the JSON of
/// `strata build`) and, when the profile has [gc] limits, what they removed.
public struct BuildResult: Sendable {
    public var report: BuildReport
    /// The profile's [gc] collection after the build; nil when it has no limits.
    public var collected: GCReport?
}
