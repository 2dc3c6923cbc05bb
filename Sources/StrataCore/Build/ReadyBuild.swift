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

    /// The directories to stack under the scratch layer, topmost first.
    var lowers: [String] { depsUppers + plan.parents.lowers }

    /// Where a layer of this build came from.
    func origin(of key: LayerKey) -> BuildReport.Layer.Origin {
        created.contains(key) ? .built : pulled.contains(key) ? .pulled : .store
    }
}
