import Foundation

/// The state of a profile's update layer when a plan was made.
public struct UpdateStatus: Sendable {
    /// The update layer in use, if there is one.
    public let key: LayerKey?
    /// When `strata update` last ran for it.
    public let checked: Date?
    /// `[update] max_age`, in seconds.
    public let maxAge: Double?

    public var ageSeconds: Double? { checked.map { Date().timeIntervalSince($0) } }
    /// No update layer yet, or one checked longer ago than max_age.
    public var stale: Bool {
        guard key != nil, let age = ageSeconds else { return true }
        return maxAge.map { age > $0 } ?? false
    }
}
