/// A plan whose layers all exist and are held in use: only
/// `BuildSession.prepare(_:)` makes one, so a build can never start over a
/// layer that is missing.
public struct ReadyBuild: Sendable {
    /// The plan, with every layer existing.
    public let plan: BuildPlan
    /// The layers this preparation built, and those it pulled from --cache-from.
    public let created: Set<LayerKey>
    public let pulled: Set<LayerKey>
    /// The uppers of the deps layer and of the deps layers it is stacked
    /// on, topmost first (one for a layer built in one piece).
    let depsUppers: [String]
    /// The deps layer's view (`LayerStore.view(of:lowers:)`); nil for the
    /// build that made the layer, and when no view could be made.
    let view: String?

    /// Every layer of the build's root, topmost first.
    var stack: [String] { depsUppers + plan.parents.lowers }

    /// The directories to stack under the scratch layer, topmost first: the
    /// view alone, or the stack itself without one.
    var lowers: [String] { view.map { [$0] } ?? stack }

    /// Where a layer of this build came from.
    func origin(of key: LayerKey) -> BuildReport.Layer.Origin {
        created.contains(key) ? .built : pulled.contains(key) ? .pulled : .store
    }
}
