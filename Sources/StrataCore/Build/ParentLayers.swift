/// What every root of a profile stands on: the base image and, when the
/// profile has one, its current update layer. Both exist and are held in
/// use by the session that planned them.
public struct ParentLayers: Sendable {
    public let image: ImageRecord
    public let base: PlannedLayer
    /// The profile's most recent update layer, when it has one.
    public let update: PlannedLayer?
    /// Set when the profile has an [update] table.
    public let updateStatus: UpdateStatus?
    /// The update layer's and the base's directories, topmost first.
    let lowers: [String]

    /// The layer a deps layer stands on: the update layer, else the base.
    var top: PlannedLayer { update ?? base }
    public var layers: [PlannedLayer] { [base] + (update.map { [$0] } ?? []) }
}
