/// A profile's `[[mount]]` entries as the recipes of its layers see them:
/// each `input` mount with the digest of its content, each `cache` mount by
/// its target alone. Computed once per build, before any key.
public struct MountInputs: Sendable {
    /// What goes into every recipe that runs with the mounts, in profile order.
    public let recipe: [InputManifest.MountInput]
    /// For each input mount's target: every entry's relative path and the
    /// digest of that entry, so that a miss can name the paths that changed.
    /// Kept beside a layer (`mounts.json`), never part of its key.
    public let entries: [String: [String: String]]

    public init(recipe: [InputManifest.MountInput], entries: [String: [String: String]]) {
        self.recipe = recipe
        self.entries = entries
    }
}
