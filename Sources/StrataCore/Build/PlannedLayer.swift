/// One layer of a plan: its key, its inputs, and whether the store has it.
public struct PlannedLayer: Sendable {
    public let role: InputManifest.Role
    public let key: LayerKey
    /// True when the store already holds it, so a build would reuse it.
    public let exists: Bool
    public let inputs: InputManifest
    /// For a layer that does not exist: why not, against the closest one that does.
    public var explanation: Explanation? = nil
    /// For an incremental deps layer: the deps layer it is (or would be)
    /// stacked on.
    public var standsOn: LayerKey? = nil
    /// For a deps layer to be stacked: how many entries it adds.
    public var added: Int? = nil

    /// The same layer, now in the store, stacked as it was made.
    func madeReady(standingOn lower: LayerKey?, added: Int?) -> PlannedLayer {
        PlannedLayer(role: role, key: key, exists: true, inputs: inputs, explanation: explanation, standsOn: lower, added: added)
    }
}
