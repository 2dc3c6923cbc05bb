import Foundation

/// What `strata update` did.
public struct UpdateReport: Sendable, Codable {
    public var profile: String
    public var key: LayerKey
    /// False when the state was unchanged and the existing layer was kept.
    public var created: Bool
    /// True when the key differs from the previous update layer's.
    public var changed: Bool
    public var previous: LayerKey?
    public var stateLines: Int
    /// When the key changed: what differs from the previous update layer.
    public var explanation: Explanation?
    public var timings: Timings

    public struct Timings: Sendable, Codable {
        public var update = 0
        public var state = 0
        public var layer = 0
    }

    enum CodingKeys: String, CodingKey {
        case profile, key, created, changed, previous, explanation
        case stateLines = "state_lines"
        case timings = "timings_ms"
    }
}
